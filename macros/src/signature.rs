//! The handler model: what kind of handler a function is, what each parameter is, what it
//! returns; and the rules that tie them together, each reported at the offending token.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{FnArg, GenericArgument, PathArguments, ReturnType, Signature, Type};

/// What a handler handles, from its event name.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Event,
    Any,
    Connect,
    Disconnect,
}

impl Kind {
    pub(crate) fn of(event: &str) -> Self {
        match event {
            "connect" => Self::Connect,
            "disconnect" => Self::Disconnect,
            "*" => Self::Any,
            _ => Self::Event,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::Event | Self::Any => "an event handler",
            Self::Connect => "a connect handler",
            Self::Disconnect => "a disconnect handler",
        }
    }
}

/// An extractor recognised by name; anything else is a payload argument.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Extractor {
    Socket,
    SocketIo,
    State,
    SessionState,
    SocketData,
    AckSender,
    Payload,
    Event,
    DisconnectReason,
}

impl Extractor {
    fn recognise(ty: &Type) -> Option<Self> {
        let Type::Path(path) = ty else { return None };
        let last = path.path.segments.last()?;
        Some(match last.ident.to_string().as_str() {
            "Socket" => Self::Socket,
            "SocketIo" => Self::SocketIo,
            "State" => Self::State,
            "SessionState" => Self::SessionState,
            "SocketData" => Self::SocketData,
            "AckSender" => Self::AckSender,
            "Payload" => Self::Payload,
            "Event" => Self::Event,
            "DisconnectReason" => Self::DisconnectReason,
            _ => return None,
        })
    }

    /// Whether every kind of handler can take it.
    fn is_common(self) -> bool {
        matches!(
            self,
            Self::Socket | Self::SocketIo | Self::State | Self::SessionState | Self::SocketData
        )
    }
}

pub(crate) struct Param {
    pub(crate) ty: Type,
    pub(crate) extractor: Option<Extractor>,
}

/// What the handler returns.
pub(crate) enum Output {
    /// Nothing: no acknowledgement.
    Unit,
    /// A value: the acknowledgement.
    Value(Box<Type>),
    /// `Result<T, E>`: `Ok` is the acknowledgement (or, for connect, acceptance), `Err` goes to
    /// the error handler (or refuses the connection).
    Result {
        ok: Option<Box<Type>>,
        err: Option<Box<Type>>,
        span: Span,
    },
}

impl Output {
    fn of(output: &ReturnType) -> Self {
        let ReturnType::Type(_, ty) = output else {
            return Self::Unit;
        };
        if matches!(&**ty, Type::Tuple(tuple) if tuple.elems.is_empty()) {
            return Self::Unit;
        }
        if let Type::Path(path) = &**ty
            && let Some(last) = path.path.segments.last().filter(|s| s.ident == "Result")
        {
            let mut types = match &last.arguments {
                PathArguments::AngleBracketed(args) => args
                    .args
                    .iter()
                    .filter_map(|arg| match arg {
                        GenericArgument::Type(ty) => Some(Box::new(ty.clone())),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
                    .into_iter(),
                _ => Vec::new().into_iter(),
            };
            return Self::Result {
                ok: types.next(),
                err: types.next(),
                span: ty.span(),
            };
        }
        Self::Value(ty.clone())
    }

    fn acknowledges(&self) -> bool {
        match self {
            Self::Unit => false,
            Self::Value(_) => true,
            Self::Result { ok, .. } => !ok.as_deref().is_some_and(is_unit),
        }
    }
}

pub(crate) fn is_unit(ty: &Type) -> bool {
    matches!(ty, Type::Tuple(tuple) if tuple.elems.is_empty())
}

/// A handler function, as the macros see it.
pub(crate) struct Handler {
    pub(crate) kind: Kind,
    pub(crate) ident: syn::Ident,
    pub(crate) is_async: bool,
    pub(crate) params: Vec<Param>,
    pub(crate) output: Output,
}

/// Where the handler is written.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// A free function.
    Function,
    /// A method of a `#[namespace]` impl.
    Method,
}

impl Handler {
    /// Builds the model, collecting every rule the signature breaks.
    pub(crate) fn new(
        kind: Kind,
        sig: &Signature,
        place: Place,
        errors: &mut Vec<syn::Error>,
    ) -> Self {
        if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
            errors.push(syn::Error::new(
                sig.generics.span(),
                "handlers cannot be generic: the server must know every parameter type",
            ));
        }
        if let Some(variadic) = &sig.variadic {
            errors.push(syn::Error::new(
                variadic.span(),
                "handlers cannot be variadic",
            ));
        }
        let mut receiver = None;
        let mut params = Vec::new();
        for input in &sig.inputs {
            match input {
                FnArg::Receiver(r) => receiver = Some(r),
                FnArg::Typed(typed) => params.push(Param {
                    extractor: Extractor::recognise(&typed.ty),
                    ty: (*typed.ty).clone(),
                }),
            }
        }
        match (place, receiver) {
            (Place::Function, Some(r)) => errors.push(syn::Error::new(
                r.span(),
                "`self` is only allowed in handlers inside a `#[namespace(\"/ns\")] impl` block; \
                 write a free function, or move it into such an impl",
            )),
            (Place::Method, None) => errors.push(syn::Error::new(
                sig.ident.span(),
                "handlers in a `#[namespace]` impl take `&self` as their first parameter",
            )),
            (Place::Method, Some(r)) if r.reference.is_none() || r.mutability.is_some() => {
                errors.push(syn::Error::new(
                    r.span(),
                    "handlers in a `#[namespace]` impl take `&self`: the namespace object is shared by every socket",
                ));
            }
            _ => {}
        }
        let handler = Self {
            kind,
            ident: sig.ident.clone(),
            is_async: sig.asyncness.is_some(),
            params,
            output: Output::of(&sig.output),
        };
        handler.check(&sig.output, errors);
        handler
    }

    fn check(&self, output: &ReturnType, errors: &mut Vec<syn::Error>) {
        let kind = self.kind;
        let mut ack_senders = 0;
        let mut payloads = 0;
        for param in &self.params {
            let span = param.ty.span();
            match (kind, param.extractor) {
                (_, Some(extractor)) if extractor.is_common() => {}
                (Kind::Event | Kind::Any, Some(Extractor::AckSender)) => {
                    ack_senders += 1;
                    if ack_senders > 1 {
                        errors.push(syn::Error::new(
                            span,
                            "`AckSender` can appear only once: a client's acknowledgement is sent at most once",
                        ));
                    }
                }
                (Kind::Event | Kind::Any, Some(Extractor::Payload | Extractor::Event)) => {}
                (_, None) if matches!(param.ty, Type::Reference(_)) => errors.push(syn::Error::new(
                    span,
                    "payload arguments are owned values deserialized from the message: take `String` for `&str`, `Vec<T>` for `&[T]`",
                )),
                (Kind::Event | Kind::Any, None) => {}
                (Kind::Disconnect, Some(Extractor::DisconnectReason)) => {}
                (Kind::Connect, None) => {
                    payloads += 1;
                    if payloads > 1 {
                        errors.push(syn::Error::new(
                            span,
                            "a connect handler takes at most one auth payload; combine the fields into one struct",
                        ));
                    }
                }
                (Kind::Disconnect, None) => errors.push(syn::Error::new(
                    span,
                    "a disconnect handler receives no payload; it takes `Socket`, `SocketIo`, `State<T>`, `SessionState<T>` and `DisconnectReason`",
                )),
                (_, Some(extractor)) => errors.push(syn::Error::new(
                    span,
                    format!("{} cannot take `{extractor:?}`{}", kind.describe(), hint(kind, extractor)),
                )),
            }
        }
        let output_span = match output {
            ReturnType::Type(_, ty) => ty.span(),
            ReturnType::Default => self.ident.span(),
        };
        match kind {
            Kind::Event | Kind::Any => {
                if ack_senders > 0 && self.output.acknowledges() {
                    errors.push(syn::Error::new(
                        output_span,
                        "acknowledge either by returning a value or with `AckSender`, not both: \
                         return `()` when the handler takes an `AckSender`",
                    ));
                }
            }
            Kind::Connect | Kind::Disconnect => {
                let ok_is_unit = match &self.output {
                    Output::Unit => true,
                    Output::Result { ok, .. } => ok.as_deref().is_none_or(is_unit),
                    Output::Value(_) => false,
                };
                if !ok_is_unit {
                    errors.push(syn::Error::new(
                        output_span,
                        format!(
                            "{} cannot acknowledge: return `()` or `Result<(), E>`{}",
                            kind.describe(),
                            if kind == Kind::Connect {
                                " (an `Err` refuses the connection)"
                            } else {
                                ""
                            }
                        ),
                    ));
                }
            }
        }
    }
}

fn hint(kind: Kind, extractor: Extractor) -> &'static str {
    match (kind, extractor) {
        (Kind::Connect, Extractor::AckSender) => {
            ": a connection is not acknowledged; return `Err(..)` to refuse it"
        }
        (_, Extractor::AckSender) => ": only events can be acknowledged",
        (_, Extractor::DisconnectReason) => ": only a disconnect handler receives the reason",
        (Kind::Connect, _) => ": take the auth payload as a typed parameter instead",
        _ => "",
    }
}
