//! The rules a handler's signature must keep, each reported at the offending token. Rules
//! that need the types' traits (what is an extractor, what a payload, what may be returned)
//! are left to the compiler, through the checks that [`expand`](crate::expand) writes.

use syn::spanned::Spanned;
use syn::{FnArg, Signature, Type};

use crate::ctxt::Ctxt;
use crate::model::{Handler, Kind, Output, Place, is_unit};

/// Reads a handler's signature into the model, recording every rule it breaks.
pub(crate) fn handler(kind: Kind, sig: &Signature, place: Place, cx: &Ctxt) -> Handler {
    signature(sig, place, cx);
    let handler = Handler::of(kind, sig);
    params(&handler, cx);
    output(&handler, cx);
    handler
}

/// No generics, no variadics, and `&self` exactly where a namespace class needs it.
fn signature(sig: &Signature, place: Place, cx: &Ctxt) {
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        cx.error_at(
            sig.generics.span(),
            "handlers cannot be generic: the server must know every parameter type",
        );
    }
    if let Some(variadic) = &sig.variadic {
        cx.error_at(variadic.span(), "handlers cannot be variadic");
    }
    let receiver = sig.inputs.iter().find_map(|input| match input {
        FnArg::Receiver(receiver) => Some(receiver),
        FnArg::Typed(_) => None,
    });
    match (place, receiver) {
        (Place::Function, Some(r)) => cx.error_at(
            r.span(),
            "`self` is only allowed in handlers inside a `#[namespace(\"/ns\")] impl` block; \
             write a free function, or move it into such an impl",
        ),
        (Place::Method, None) => cx.error_at(
            sig.ident.span(),
            "handlers in a `#[namespace]` impl take `&self` as their first parameter",
        ),
        (Place::Method, Some(r)) if r.reference.is_none() || r.mutability.is_some() => cx.error_at(
            r.span(),
            "handlers in a `#[namespace]` impl take `&self`: the namespace object is shared by every socket",
        ),
        _ => {}
    }
}

/// Parameters are owned: a borrowed one cannot come from a message.
fn params(handler: &Handler, cx: &Ctxt) {
    for param in &handler.params {
        if matches!(param.ty, Type::Reference(_)) {
            cx.error_at(
                param.ty.span(),
                "payload arguments are owned values deserialized from the message: take `String` for `&str`, `Vec<T>` for `&[T]`",
            );
        }
    }
}

/// Connect and disconnect handlers have nobody to acknowledge.
fn output(handler: &Handler, cx: &Ctxt) {
    let kind = handler.kind;
    if !matches!(kind, Kind::Connect | Kind::Disconnect) {
        return;
    }
    let ok_is_unit = match &handler.output {
        Output::Unit => true,
        Output::Result { ok, .. } => ok.as_deref().is_none_or(is_unit),
        Output::Value(_) => false,
    };
    if !ok_is_unit {
        let refuses = if kind == Kind::Connect {
            " (an `Err` refuses the connection)"
        } else {
            ""
        };
        cx.error_at(
            handler.output_span,
            format!(
                "{} cannot acknowledge: return `()` or `Result<(), E>`{refuses}",
                kind.describe()
            ),
        );
    }
}
