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
    /// An event from another server of the cluster (`#[on_server_event]`).
    ServerEvent,
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
            Self::ServerEvent => "a server event handler",
        }
    }
}

/// A parameter: an extractor or a payload argument, as the compiler decides from its type's
/// `FromContext` implementation.
pub(crate) struct Param {
    pub(crate) ty: Type,
}

impl Param {
    /// Whether the parameter is written as a `Socket`: the schema checks its namespace.
    pub(crate) fn is_socket(&self) -> bool {
        let Type::Path(path) = &self.ty else {
            return false;
        };
        path.path
            .segments
            .last()
            .is_some_and(|s| s.ident == "Socket")
    }
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

    pub(crate) fn acknowledges(&self) -> bool {
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
    /// Where the return type is written (the name, when there is none).
    pub(crate) output_span: Span,
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
            output_span: match &sig.output {
                ReturnType::Type(_, ty) => ty.span(),
                ReturnType::Default => sig.ident.span(),
            },
        };
        handler.check(errors);
        handler
    }

    fn check(&self, errors: &mut Vec<syn::Error>) {
        let kind = self.kind;
        for param in &self.params {
            if matches!(param.ty, Type::Reference(_)) {
                errors.push(syn::Error::new(
                    param.ty.span(),
                    "payload arguments are owned values deserialized from the message: take `String` for `&str`, `Vec<T>` for `&[T]`",
                ));
            }
        }
        let output_span = self.output_span;
        match kind {
            Kind::Event | Kind::Any | Kind::ServerEvent => {}
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
