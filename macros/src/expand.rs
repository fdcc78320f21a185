//! Tokens from the model: the function that extracts a handler's parameters and runs it, the
//! functions that register it, and the route list gathered by `inventory`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, LitStr, Type};

use crate::model::{Handler, Kind, Output, is_unit};

/// Where a handler is registered.
pub(crate) struct Route {
    pub(crate) namespace: String,
    pub(crate) event: LitStr,
}

/// How the generated code reaches the handler.
pub(crate) enum Callee<'a> {
    /// A free function, by name.
    Function,
    /// A method of a namespace object kept in the server's state.
    Method { self_ty: &'a Type },
}

/// The context type of a kind of handler.
pub(crate) fn context_ty(kind: Kind) -> TokenStream {
    match kind {
        Kind::Event | Kind::Any => quote!(::ferrio::EventContext),
        Kind::Connect => quote!(::ferrio::ConnectContext),
        Kind::Disconnect => quote!(::ferrio::DisconnectContext),
        Kind::ServerEvent => quote!(::ferrio::ServerEventContext),
    }
}

/// `<ty as FromContext<context>>`, spanned at the parameter's type: every error about the
/// parameter is reported there.
pub(crate) fn from_context(ty: &Type, kind: Kind) -> TokenStream {
    let context_ty = context_ty(kind);
    quote_spanned!(ty.span()=> <#ty as ::ferrio::FromContext<#context_ty>>)
}

/// What a parameter's `FromContext` implementation says it takes.
#[derive(Clone, Copy)]
pub(crate) enum Takes {
    /// Payload arguments (`ARGS`).
    Args,
    /// The acknowledgement (`TAKES_ACK`), as 0 or 1.
    Ack,
}

/// A const expression, spanned at `span`: what the parameters take, summed.
pub(crate) fn sum<'a>(
    params: impl IntoIterator<Item = &'a Type>,
    kind: Kind,
    takes: Takes,
    span: Span,
) -> TokenStream {
    let terms = params.into_iter().map(|ty| {
        let param = from_context(ty, kind);
        match takes {
            Takes::Args => quote_spanned!(span=> #param::ARGS),
            Takes::Ack => quote_spanned!(span=> #param::TAKES_ACK as usize),
        }
    });
    // It starts with a token at `span`, where the compiler reports a failed check.
    quote_spanned!(span=> { 0usize #(+ #terms)* })
}

/// The private function that extracts the parameters and runs the handler.
pub(crate) fn call_fn(handler: &Handler, name: &Ident, callee: &Callee<'_>) -> TokenStream {
    let private = quote!(::ferrio::__private);
    let kind = handler.kind;
    let context_ty = context_ty(kind);
    let future_ty = match kind {
        Kind::Connect => quote!(#private::ConnectFuture),
        _ => quote!(#private::HandlerFuture),
    };
    let mut extractions = Vec::new();
    if let Callee::Method { self_ty } = callee {
        let this_ty: Type = syn::parse_quote!(::ferrio::State<#self_ty>);
        extractions.push(extract(
            kind,
            &this_ty,
            &format_ident!("__ferrio_this"),
            &quote!(0),
        ));
    }
    let types: Vec<&Type> = handler.params.iter().map(|param| &param.ty).collect();
    let mut args = Vec::new();
    for (i, ty) in types.iter().enumerate() {
        let value = format_ident!("__ferrio_param_{}", i);
        let before = &types[..i];
        let index = sum(before.iter().copied(), kind, Takes::Args, ty.span());
        extractions.push(extract(kind, ty, &value, &index));
        extractions.push(param_check(kind, ty, before));
        args.push(value);
    }
    if matches!(kind, Kind::Event | Kind::Any) && handler.output.acknowledges() {
        let span = handler.output_span;
        let senders = sum(types.iter().copied(), kind, Takes::Ack, span);
        extractions.push(quote_spanned!(span=>
            ::ferrio::__private::returns_the_ack::<#senders>();
        ));
    }
    let fn_name = &handler.ident;
    let invocation = match callee {
        Callee::Function => quote!(#fn_name(#(#args),*)),
        Callee::Method { .. } => quote!(__ferrio_this.0.#fn_name(#(#args),*)),
    };
    let invocation = if handler.is_async {
        quote!(#invocation.await)
    } else {
        invocation
    };
    let (prepare, respond) = respond(handler);
    // Spanned at the handler's name, so that a future that is not `Send` is reported there.
    let boxed = quote_spanned! {fn_name.span()=>
        ::std::boxed::Box::pin(async move {
            let __ferrio_out = #invocation;
            #respond
        })
    };
    quote! {
        #[allow(non_snake_case, unused_braces, clippy::identity_op, clippy::let_unit_value)]
        fn #name(context: #context_ty) -> #future_ty {
            #(#extractions)*
            #prepare
            #boxed
        }
    }
}

/// Extracts one parameter, returning early when it cannot be.
fn extract(kind: Kind, ty: &Type, value: &Ident, index: &TokenStream) -> TokenStream {
    let private = quote!(::ferrio::__private);
    let param = from_context(ty, kind);
    let call = quote_spanned!(ty.span()=> #param::from_context(&context, #index));
    quote! {
        let #value = match #call {
            ::std::result::Result::Ok(value) => value,
            ::std::result::Result::Err(error) => return #private::extraction_failed(&context, error),
        };
    }
}

/// The rule a parameter's kind of handler sets on what the parameters before it take: one
/// acknowledgement sender for an event, one auth payload for a connect.
fn param_check(kind: Kind, ty: &Type, before: &[&Type]) -> TokenStream {
    let param = from_context(ty, kind);
    match kind {
        Kind::Event | Kind::Any => {
            let senders = sum(before.iter().copied(), kind, Takes::Ack, ty.span());
            quote_spanned!(ty.span()=>
                ::ferrio::__private::one_ack_sender::<#senders, { #param::TAKES_ACK }>();
            )
        }
        Kind::Connect => {
            let auths = sum(before.iter().copied(), kind, Takes::Args, ty.span());
            quote_spanned!(ty.span()=>
                ::ferrio::__private::one_auth::<#auths, { #param::ARGS }>();
            )
        }
        Kind::Disconnect | Kind::ServerEvent => quote!(),
    }
}

/// What runs before the handler (taking what the response needs from the context) and what
/// turns its output into the handler's result.
fn respond(handler: &Handler) -> (TokenStream, TokenStream) {
    let private = quote!(::ferrio::__private);
    let ok = quote!(::std::result::Result::Ok(()));
    match (handler.kind, &handler.output) {
        (_, Output::Unit) => (quote!(), quote!(let () = __ferrio_out; #ok)),
        (Kind::Event | Kind::Any, Output::Value(ty)) => (
            quote!(let __ferrio_ack = context.ack_sender();),
            quote_spanned!(ty.span()=> #private::acknowledge(__ferrio_ack, __ferrio_out)),
        ),
        (
            Kind::Event | Kind::Any,
            Output::Result {
                ok: ok_ty,
                err,
                span,
            },
        ) => {
            let acknowledge = match ok_ty {
                Some(ty) if is_unit(ty) => quote!({ let () = value; #ok }),
                Some(ty) => quote_spanned!(ty.span()=> #private::acknowledge(__ferrio_ack, value)),
                None => quote_spanned!(*span=> #private::acknowledge(__ferrio_ack, value)),
            };
            let err_span = err.as_ref().map_or(*span, Spanned::span);
            let failed = quote_spanned!(err_span=>
                #private::event_failed(&__ferrio_event, error, __ferrio_ack)
            );
            (
                quote! {
                    let __ferrio_ack = context.ack_sender();
                    let __ferrio_event = ::std::borrow::ToOwned::to_owned(context.event());
                },
                quote! {
                    match __ferrio_out {
                        ::std::result::Result::Ok(value) => #acknowledge,
                        ::std::result::Result::Err(error) => ::std::result::Result::Err(#failed),
                    }
                },
            )
        }
        (Kind::Connect, Output::Result { err, span, .. }) => {
            let err_span = err.as_ref().map_or(*span, Spanned::span);
            let refuse = quote_spanned!(err_span=> #private::refusal(error));
            (
                quote!(),
                quote! {
                    match __ferrio_out {
                        ::std::result::Result::Ok(()) => #ok,
                        ::std::result::Result::Err(error) => ::std::result::Result::Err(#refuse),
                    }
                },
            )
        }
        (Kind::Disconnect, Output::Result { err, span, .. }) => {
            let err_span = err.as_ref().map_or(*span, Spanned::span);
            let failed = quote_spanned!(err_span=> #private::handler_failed("disconnect", error));
            (
                quote!(),
                quote! {
                    match __ferrio_out {
                        ::std::result::Result::Ok(()) => #ok,
                        ::std::result::Result::Err(error) => ::std::result::Result::Err(#failed),
                    }
                },
            )
        }
        // A server event's answer goes through the same outcome as a builder closure's.
        (Kind::ServerEvent, Output::Value(ty)) => (
            quote!(),
            quote_spanned!(ty.span()=>
                ::ferrio::HandlerOutput::into_result(::ferrio::Ack(__ferrio_out), &context)
            ),
        ),
        (Kind::ServerEvent, Output::Result { ok, span, .. }) => {
            let acknowledged = match ok {
                Some(ty) if is_unit(ty) => quote!(__ferrio_out),
                _ => quote!(__ferrio_out.map(::ferrio::Ack)),
            };
            (
                quote!(),
                quote_spanned!(*span=> ::ferrio::HandlerOutput::into_result(#acknowledged, &context)),
            )
        }
        // Rejected by the signature checks; keep the expansion well-formed.
        (Kind::Connect | Kind::Disconnect, Output::Value(_)) => (quote!(), quote!(#ok)),
    }
}

/// The function that adds one route of a handler to a server builder.
pub(crate) fn register_fn(
    handler: &Handler,
    route: &Route,
    name: &Ident,
    call: &Ident,
    handler_path: &TokenStream,
    required_state: Option<&TokenStream>,
) -> TokenStream {
    let private = quote!(::ferrio::__private);
    let namespace = &route.namespace;
    let event = &route.event;
    let raw = quote!(#private::RawHandler(#call));
    let add = match handler.kind {
        Kind::Event => quote!(ns.__on(#event, #handler_path, #raw)),
        Kind::Any => quote!(ns.__on_any(#handler_path, #raw)),
        Kind::Connect => quote!(ns.__on_connect(#handler_path, #raw)),
        Kind::Disconnect => quote!(ns.__on_disconnect(#handler_path, #raw)),
        Kind::ServerEvent => {
            return quote! {
                fn #name(builder: ::ferrio::SocketIoBuilder) -> ::ferrio::SocketIoBuilder {
                    builder.__on_server_event(#event, #handler_path, #raw)
                }
            };
        }
    };
    let require = required_state.map(|require| quote!(let builder = #require;));
    quote! {
        fn #name(builder: ::ferrio::SocketIoBuilder) -> ::ferrio::SocketIoBuilder {
            #require
            builder.namespace(#namespace, |ns| #add)
        }
    }
}

/// One line of a route table: namespace, event, handler path, and the register function.
pub(crate) struct Entry {
    /// The schema type of a typed handler's namespace.
    pub(crate) schema: Option<TokenStream>,
    pub(crate) namespace: TokenStream,
    pub(crate) event: TokenStream,
    pub(crate) handler: TokenStream,
    pub(crate) register: Ident,
}

/// The route table of an annotated item and its submission to `inventory`.
pub(crate) fn routes(item: &TokenStream, entries: &[Entry]) -> TokenStream {
    let private = quote!(::ferrio::__private);
    let entries = entries.iter().map(|entry| {
        let Entry {
            schema,
            namespace,
            event,
            handler,
            register,
        } = entry;
        let schema = match schema {
            Some(namespace) => {
                quote!(::core::option::Option::Some(#private::schema::info::<#namespace>))
            }
            None => quote!(::core::option::Option::None),
        };
        quote! {
            #private::Route {
                namespace: #namespace,
                event: #event,
                handler: #handler,
                register: #register,
                schema: #schema,
            }
        }
    });
    quote! {
        impl #private::Routes for #item {
            const ROUTES: &'static [#private::Route] = &[#(#entries),*];
        }
        #private::inventory::submit! {
            #private::Registered(<#item as #private::Routes>::ROUTES)
        }
    }
}

/// `module::name`, as a string built where the handler is defined.
pub(crate) fn handler_path(name: &str) -> TokenStream {
    quote!(::core::concat!(::core::module_path!(), "::", #name))
}
