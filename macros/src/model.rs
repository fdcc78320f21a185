//! The handler model: what kind of handler a function is, what its parameters are, what it
//! returns.

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

    pub(crate) fn describe(self) -> &'static str {
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
    /// The model of a handler's signature, as it is written: [`check`](crate::check) says
    /// what it may not be.
    pub(crate) fn of(kind: Kind, sig: &Signature) -> Self {
        let params = sig
            .inputs
            .iter()
            .filter_map(|input| match input {
                FnArg::Typed(typed) => Some(Param {
                    ty: (*typed.ty).clone(),
                }),
                FnArg::Receiver(_) => None,
            })
            .collect();
        Self {
            kind,
            ident: sig.ident.clone(),
            is_async: sig.asyncness.is_some(),
            params,
            output: Output::of(&sig.output),
            output_span: match &sig.output {
                ReturnType::Type(_, ty) => ty.span(),
                ReturnType::Default => sig.ident.span(),
            },
        }
    }
}
