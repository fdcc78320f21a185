//! Procedural macros for [ferrio](https://docs.rs/ferrio): the `#[on]` handler DSL.
//!
//! Use them through `ferrio` (`use ferrio::prelude::*;`), which re-exports them; the code they
//! generate names only `::ferrio` paths.

mod check;
mod ctxt;
mod expand;
mod model;
mod parse;
mod schema;

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ImplItem, ItemFn, ItemImpl};

use ctxt::Ctxt;
use expand::{Callee, Entry, Route, Takes};
use model::{Handler, Kind, Place};
use parse::{ErrorArgs, NamespaceArgs, OnArgs, ServerEventArgs, is_on};

/// Registers a function as the handler of a Socket.IO event.
///
/// # Grammar
///
/// ```text
/// #[on("event")]
/// #[on("event", namespace = "/ns")]
/// ```
///
/// Stack several `#[on]` on one function to register it for several events or namespaces.
/// Special events: `"connect"`, `"disconnect"`, `"message"` (what a client's `send()` sends)
/// and `"*"` (every event without a handler of its own). Without `namespace` the handler
/// belongs to `/`.
///
/// # Typing requirements
///
/// The function is `async fn` or `fn`, not generic. Its parameters are chosen by type, in
/// any order:
///
/// - extractors, types implementing `ferrio::FromContext` for the kind of handler: `Socket`,
///   `SocketIo`, `State<T>` (shared state given with `.state(value)`), `SessionState<T>`
///   (per socket), `SocketData<T>` (per socket, seen by the cluster), and for events
///   `AckSender`, `Payload` (all arguments, raw), `Event` (the name), `TryData<T>`; for
///   disconnect, `DisconnectReason`; and extractors of your own;
/// - every other parameter is a payload argument, `T: serde::de::DeserializeOwned`, matched
///   by position with the arguments the client emitted: `emit("ev", "a", 2, {..})` fills
///   `(a: String, b: u32, c: MyStruct)`. `Option<T>` takes an optional trailing argument;
///   `serde_json::Value` any JSON; `bytes::Bytes` binary. For `connect`, the one such
///   parameter is the auth payload.
///
/// The return value: `()` sends no acknowledgement; any `T: Serialize` is the
/// acknowledgement when the client asked for one (a tuple is several arguments);
/// `Result<T, E>` acknowledges `Ok` and sends `Err` (`E: Into<Box<dyn Error + Send + Sync>>`)
/// to the error handler. A connect handler returns `()` or `Result<(), E>` with
/// `E: Serialize`: `Err` refuses the connection (a string is the client's `err.message`,
/// anything else its `err.data`; a `ConnectError` is sent as it is). The future must be
/// `Send`.
///
/// # Semantics
///
/// The function stays as written. The macro adds a hidden type of the same name that
/// carries its routes, gathered into every server built with `SocketIo::builder()` (or
/// listed with `ferrio::handlers![..]`). Arguments are deserialized by code generated for
/// the handler's types; an argument that does not match never panics and never reaches the
/// handler: the namespace's error handler receives the event name and the serde error, and
/// no acknowledgement is sent. Handlers start in the order their events arrived.
///
/// # Examples
///
/// ```
/// use ferrio::prelude::*;
///
/// #[derive(Deserialize)]
/// struct Equipment { id: String }
///
/// #[derive(Serialize)]
/// struct Receipt { id: String, price: u32 }
///
/// #[on("buy", namespace = "/game")]
/// async fn buy(item: Equipment) -> Receipt {
///     Receipt { id: item.id, price: 10 }
/// }
///
/// #[on("clickGold", namespace = "/game")]
/// fn click_gold(socket: Socket) {
///     let _ = socket.emit("goldClicked", "I see you clicking that gold");
/// }
/// ```
#[proc_macro_attribute]
pub fn on(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut function = match function_of(
        item,
        "`#[on]` goes on a function: `#[on(\"event\")] async fn handler(..)`",
    ) {
        Ok(function) => function,
        Err(error) => return error.into(),
    };
    // A type (`game::Buy`) names a schema event; a constant (`EVENT`) is a mistake that the
    // string form's parser reports.
    if let Ok(event) = syn::parse::<syn::Path>(attr.clone())
        && event
            .segments
            .last()
            .is_some_and(|s| s.ident.to_string().chars().any(char::is_lowercase))
    {
        return typed_on(&event, function).into();
    }
    let cx = Ctxt::new();
    let mut routes = Vec::new();
    let first = syn::parse::<OnArgs>(attr);
    collect_route(first, &mut routes, &cx);
    let stacked: Vec<_> = function
        .attrs
        .iter()
        .filter(|a| is_on(a))
        .cloned()
        .collect();
    function.attrs.retain(|a| !is_on(a));
    for attr in stacked {
        collect_route(attr.parse_args::<OnArgs>(), &mut routes, &cx);
    }
    let kind = routes
        .first()
        .map_or(Kind::Event, |(args, _)| Kind::of(&args.event.value()));
    for (args, _) in routes.iter().skip(1) {
        if Kind::of(&args.event.value()) != kind {
            cx.error_at(
                args.event.span(),
                "one function cannot handle both special events (connect, disconnect, *) and others: write one function each",
            );
        }
    }
    let handler = check::handler(kind, &function.sig, Place::Function, &cx);
    annotated_function(&function, &handler, routes.into_iter().map(|(_, r)| r), cx).into()
}

/// Registers a function as the listener of an event that other servers of the cluster send
/// (`io.server_side_emit`, Node's `io.serverSideEmit`).
///
/// # Grammar
///
/// ```text
/// #[on_server_event("event")]
/// ```
///
/// # Typing requirements
///
/// As `#[on]`, with the extractors of a server event: `SocketIo`, `State<T>`, `Payload`,
/// `Event` and any extractor implementing `FromContext<ServerEventContext>`; every other
/// parameter is one of the event's arguments, by position. There is no socket. The return
/// value answers a sender that asked for answers (`server_side_emit_with_ack`, Node's
/// `serverSideEmitWithAck`): `()` as `null`, any `T: Serialize`, or `Result<T, E>` whose
/// `Err` is logged (and answered `null`).
///
/// # Examples
///
/// ```
/// use ferrio::prelude::*;
///
/// #[on_server_event("count-players")]
/// fn count_players(io: SocketIo) -> usize {
///     io.sockets("/").len()
/// }
/// ```
#[proc_macro_attribute]
pub fn on_server_event(attr: TokenStream, item: TokenStream) -> TokenStream {
    let function = match function_of(
        item,
        "`#[on_server_event]` goes on a function: `#[on_server_event(\"event\")] async fn listener(..)`",
    ) {
        Ok(function) => function,
        Err(error) => return error.into(),
    };
    let cx = Ctxt::new();
    let event = syn::parse::<ServerEventArgs>(attr)
        .map_err(|error| cx.syn_error(error))
        .ok();
    let handler = check::handler(Kind::ServerEvent, &function.sig, Place::Function, &cx);
    let routes = event.map(|args| Route {
        namespace: String::new(),
        event: args.event,
    });
    annotated_function(&function, &handler, routes.into_iter(), cx).into()
}

/// The function an attribute annotates, or the item as written with the error `message`.
fn function_of(item: TokenStream, message: &str) -> Result<ItemFn, Tokens> {
    let item: Tokens = item.into();
    syn::parse2(item.clone()).map_err(|_| {
        let error = syn::Error::new(item.span(), message);
        ctxt::with_errors(item, vec![error])
    })
}

/// An annotated free function as it is, its hidden route type, and the functions that
/// register it; or, when its attributes or signature break a rule, the function and the
/// errors.
fn annotated_function(
    function: &ItemFn,
    handler: &Handler,
    routes: impl Iterator<Item = Route>,
    cx: Ctxt,
) -> Tokens {
    if let Err(errors) = cx.check() {
        return ctxt::with_errors(function, errors);
    }
    let ident = &function.sig.ident;
    let vis = &function.vis;
    let path = expand::handler_path(&ident.to_string());
    let call = format_ident!("__ferrio_call");
    let call_fn = expand::call_fn(handler, &call, &Callee::Function);
    let (registers, entries) = registrations(handler, routes, &call, &path, None, "");
    let routes = expand::routes(&quote!(#ident), &entries);
    quote! {
        #function

        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis struct #ident {}

        const _: () = {
            #call_fn
            #(#registers)*
            #routes
        };
    }
}

/// `#[on(Event)]`: a handler of a schema's event, checked against its declaration.
fn typed_on(event: &syn::Path, mut function: ItemFn) -> Tokens {
    let private = quote!(::ferrio::__private);
    let checks_path = quote!(#private::schema);
    let cx = Ctxt::new();
    if let Some(stacked) = function.attrs.iter().find(|a| is_on(a)) {
        cx.error_spanned_by(
            stacked,
            "a handler of a schema event handles that one event: write one function per event",
        );
    }
    function.attrs.retain(|a| !is_on(a));
    let handler = check::handler(Kind::Event, &function.sig, Place::Function, &cx);
    if let Err(errors) = cx.check() {
        return ctxt::with_errors(function, errors);
    }
    let event_alias = quote!(__FerrioEvent);
    let mut checks =
        vec![quote_spanned!(event.span()=> #checks_path::client_event(__ferrio_event);)];
    let types: Vec<&syn::Type> = handler.params.iter().map(|param| &param.ty).collect();
    for (i, param) in handler.params.iter().enumerate() {
        let ty = &param.ty;
        if param.is_socket() {
            checks
                .push(quote_spanned!(ty.span()=> #checks_path::socket::<_, #ty>(__ferrio_event);));
        }
        let index = expand::sum(
            types[..i].iter().copied(),
            Kind::Event,
            Takes::Args,
            ty.span(),
        );
        let args = expand::from_context(ty, Kind::Event);
        checks.push(quote_spanned!(ty.span()=>
            #checks_path::param::<_, #index, { #args::ARGS }, #ty>(__ferrio_event);
        ));
    }
    let ident = &function.sig.ident;
    let payloads = expand::sum(
        types.iter().copied(),
        Kind::Event,
        Takes::Args,
        ident.span(),
    );
    checks
        .push(quote_spanned!(ident.span()=> #checks_path::arity::<_, #payloads>(__ferrio_event);));
    let returned = match &function.sig.output {
        syn::ReturnType::Default => {
            quote_spanned!(ident.span()=> #checks_path::returns::<_, ()>(__ferrio_event);)
        }
        syn::ReturnType::Type(_, ty) => {
            quote_spanned!(ty.span()=> #checks_path::returns::<_, #ty>(__ferrio_event);)
        }
    };
    checks.push(returned);
    let vis = &function.vis;
    let path = expand::handler_path(&ident.to_string());
    let call = format_ident!("__ferrio_call");
    let call_fn = expand::call_fn(&handler, &call, &Callee::Function);
    let namespace_ty = quote!(<#event_alias as #checks_path::Event>::Namespace);
    let namespace = quote!(<#namespace_ty as ::ferrio::schema::Namespace>::PATH);
    let name = quote!(<#event_alias as #checks_path::Event>::NAME);
    let entry = Entry {
        schema: Some(namespace_ty.clone()),
        namespace: namespace.clone(),
        event: name.clone(),
        handler: path.clone(),
        register: format_ident!("__ferrio_register"),
    };
    let routes = expand::routes(&quote!(#ident), &[entry]);
    quote! {
        #function

        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis struct #ident {}

        const _: () = {
            // The event is resolved once, in a type position: a wrong path is one error at it.
            trait __FerrioResolve { type Event; }
            impl __FerrioResolve for () { type Event = #event; }
            type #event_alias = <() as __FerrioResolve>::Event;
            // A second handler of this event in the crate conflicts with this one (E0119).
            impl #checks_path::HandledOnce for #event_alias {}
            #[allow(clippy::identity_op)]
            const _: () = {
                let __ferrio_event = ::core::marker::PhantomData::<#event_alias>;
                #(#checks)*
            };
            #call_fn
            fn __ferrio_register(builder: ::ferrio::SocketIoBuilder) -> ::ferrio::SocketIoBuilder {
                builder.namespace(#namespace, |ns| ns.__on(#name, #path, #private::RawHandler(__ferrio_call)))
            }
            #routes
        };
    }
}

/// Parses one `#[on]`, records its route or its error, and rejects a repeated route.
fn collect_route(args: syn::Result<OnArgs>, routes: &mut Vec<(OnArgs, Route)>, cx: &Ctxt) {
    match args {
        Ok(args) => {
            let namespace = args
                .namespace
                .as_ref()
                .map_or_else(|| "/".to_owned(), |ns| ns.value());
            if routes
                .iter()
                .any(|(_, r)| r.namespace == namespace && r.event.value() == args.event.value())
            {
                cx.error_at(
                    args.event.span(),
                    format!(
                        "event `{}` of namespace `{namespace}` is handled twice here",
                        args.event.value()
                    ),
                );
                return;
            }
            let route = Route {
                namespace,
                event: args.event.clone(),
            };
            routes.push((args, route));
        }
        Err(error) => cx.syn_error(error),
    }
}

/// The register functions of a handler's routes, and their route-table entries.
fn registrations(
    handler: &Handler,
    routes: impl Iterator<Item = Route>,
    call: &syn::Ident,
    path: &Tokens,
    required_state: Option<&Tokens>,
    prefix: &str,
) -> (Vec<Tokens>, Vec<Entry>) {
    let mut registers = Vec::new();
    let mut entries = Vec::new();
    for (i, route) in routes.enumerate() {
        let register = format_ident!("__ferrio_register{}_{}", prefix, i);
        registers.push(expand::register_fn(
            handler,
            &route,
            &register,
            call,
            path,
            required_state,
        ));
        let namespace = &route.namespace;
        let event = &route.event;
        entries.push(Entry {
            schema: None,
            namespace: quote!(#namespace),
            event: quote!(#event),
            handler: path.clone(),
            register,
        });
    }
    (registers, entries)
}

/// Registers a function as an error handler: it receives the errors of handlers, and events
/// whose arguments did not match their handler's types.
///
/// # Grammar
///
/// ```text
/// #[on_error]                      // every namespace without its own error handler
/// #[on_error(namespace = "/ns")]   // one namespace
/// ```
///
/// # Typing requirements
///
/// A `fn` or `async fn` taking, in any order, `Socket` (or `&Socket`) and `HandlerError`, and
/// returning `()` or a value that implements `Serialize`. A value is sent as the
/// acknowledgement of the failed event when the client asked for one, as Flask-SocketIO
/// does: a client whose arguments had the wrong type is told so instead of timing out.
///
/// # Examples
///
/// ```
/// use ferrio::prelude::*;
///
/// #[on_error(namespace = "/game")]
/// fn game_errors(socket: &Socket, error: HandlerError) {
///     let _ = socket.emit("oops", error.to_string());
/// }
///
/// // Every other namespace: the client's acknowledgement callback receives the message.
/// #[on_error]
/// fn tell_the_client(error: HandlerError) -> String {
///     error.to_string()
/// }
/// ```
#[proc_macro_attribute]
pub fn on_error(attr: TokenStream, item: TokenStream) -> TokenStream {
    let function = match function_of(item, "`#[on_error]` goes on a function") {
        Ok(function) => function,
        Err(error) => return error.into(),
    };
    let cx = Ctxt::new();
    // On a parse error, the signature is still checked; nothing is expanded.
    let args = syn::parse::<ErrorArgs>(attr).unwrap_or_else(|error| {
        cx.syn_error(error);
        ErrorArgs { namespace: None }
    });
    let call = error_call(&function, &cx);
    match cx.check() {
        Ok(()) => error_handler(&args, &function, &call).into(),
        Err(errors) => ctxt::with_errors(&function, errors).into(),
    }
}

/// The call of an error handler with the arguments it takes, recording the rules its
/// signature breaks.
fn error_call(function: &ItemFn, cx: &Ctxt) -> Tokens {
    let sig = &function.sig;
    if !sig.generics.params.is_empty() {
        cx.error_at(sig.generics.span(), "error handlers cannot be generic");
    }
    let mut args_out = Vec::new();
    let (mut sockets, mut errors) = (0, 0);
    for input in &sig.inputs {
        let syn::FnArg::Typed(typed) = input else {
            cx.error_at(input.span(), "`self` is not allowed in an error handler");
            continue;
        };
        let (is_ref, ty) = match &*typed.ty {
            syn::Type::Reference(r) => (true, &*r.elem),
            ty => (false, ty),
        };
        let name = match ty {
            syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        };
        match (name.as_deref(), is_ref) {
            (Some("Socket"), true) if sockets == 0 => args_out.push(quote!(socket)),
            (Some("Socket"), false) if sockets == 0 => args_out.push(quote!(socket.clone())),
            (Some("HandlerError"), false) if errors == 0 => args_out.push(quote!(error)),
            _ => cx.error_at(
                typed.ty.span(),
                "an error handler takes `Socket` (or `&Socket`) and `HandlerError`, each at most once",
            ),
        }
        match name.as_deref() {
            Some("Socket") => sockets += 1,
            _ => errors += 1,
        }
    }
    let ident = &sig.ident;
    quote!(#ident(#(#args_out),*))
}

/// An error handler's registration, once its signature is known to be good.
fn error_handler(args: &ErrorArgs, function: &ItemFn, call: &Tokens) -> Tokens {
    let sig = &function.sig;
    // A value it returns acknowledges the failed event (Flask-SocketIO's behaviour).
    let ack_type = match &sig.output {
        syn::ReturnType::Type(_, ty) if !model::is_unit(ty) => Some(ty),
        _ => None,
    };
    let ident = &sig.ident;
    let vis = &function.vis;
    let run = match (ack_type, sig.asyncness.is_some()) {
        (None, true) => quote!(::ferrio::__private::spawn(#call)),
        (None, false) => call.clone(),
        (Some(ty), asynchronous) => {
            let acknowledge = quote_spanned!(ty.span()=>
                ::ferrio::__private::acknowledge_error(__ferrio_ack, __ferrio_out)
            );
            let answer = if asynchronous {
                quote! {
                    let __ferrio_running = #call;
                    ::ferrio::__private::spawn(async move {
                        let __ferrio_out = __ferrio_running.await;
                        #acknowledge
                    })
                }
            } else {
                quote!(let __ferrio_out = #call; #acknowledge)
            };
            quote! {
                let mut error = error;
                let __ferrio_ack = error.ack();
                #answer
            }
        }
    };
    let path = expand::handler_path(&ident.to_string());
    let (namespace, register) = match &args.namespace {
        Some(ns) => (
            ns.value(),
            quote!(builder.namespace(#ns, |ns| ns.__on_error(#path, __ferrio_call))),
        ),
        None => (
            String::new(),
            quote!(builder.__default_error(__ferrio_call)),
        ),
    };
    let entry = Entry {
        schema: None,
        namespace: quote!(#namespace),
        event: quote!("error"),
        handler: path.clone(),
        register: format_ident!("__ferrio_register"),
    };
    let routes = expand::routes(&quote!(#ident), &[entry]);
    quote! {
        #function

        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis struct #ident {}

        const _: () = {
            #[allow(unused_variables)]
            fn __ferrio_call(socket: &::ferrio::Socket, error: ::ferrio::HandlerError) {
                #run;
            }
            fn __ferrio_register(builder: ::ferrio::SocketIoBuilder) -> ::ferrio::SocketIoBuilder {
                #register
            }
            #routes
        };
    }
}

/// Makes the methods of an impl block the handlers of one namespace, sharing the object as
/// state: Flask-SocketIO's class-based namespaces.
///
/// # Grammar
///
/// ```text
/// #[namespace("/ns")]
/// impl Type {
///     #[on("event")]
///     async fn handler(&self, ..) { .. }
/// }
/// ```
///
/// # Typing requirements
///
/// `Type: Clone + Send + Sync + 'static`, not generic; keep it cheap to clone (share mutable
/// parts through an `Arc`). Each `#[on]` method takes `&self` and otherwise follows the rules
/// of [`macro@on`], without `namespace =`.
///
/// # Semantics
///
/// The object is the server's state of that type: give it with
/// `SocketIo::builder().state(Type { .. })`, as Flask-SocketIO's
/// `socketio.on_namespace(MyNamespace('/ns'))` takes an instance. A server built without it
/// refuses to start, saying so. Two methods for one event is a compile error.
///
/// # Examples
///
/// ```
/// use ferrio::prelude::*;
///
/// #[derive(Clone)]
/// struct Chat { prefix: String }
///
/// #[namespace("/chat")]
/// impl Chat {
///     #[on("say")]
///     fn say(&self, socket: Socket, room: String, text: String) {
///         let _ = socket.to(room).emit("said", format!("{}{text}", self.prefix));
///     }
/// }
/// ```
#[proc_macro_attribute]
pub fn namespace(attr: TokenStream, item: TokenStream) -> TokenStream {
    let item: Tokens = item.into();
    let result = syn::parse::<NamespaceArgs>(attr).and_then(|args| {
        let block: ItemImpl = syn::parse2(item.clone()).map_err(|_| {
            syn::Error::new(
                item.span(),
                "`#[namespace(\"/ns\")]` goes on an `impl` block",
            )
        })?;
        Ok(namespace_impl(args, block))
    });
    match result {
        Ok(tokens) => tokens.into(),
        Err(error) => item
            .into_iter()
            .chain(error.to_compile_error())
            .collect::<Tokens>()
            .into(),
    }
}

fn namespace_impl(args: NamespaceArgs, mut block: ItemImpl) -> Tokens {
    let cx = Ctxt::new();
    if !block.generics.params.is_empty() {
        cx.error_at(
            block.generics.span(),
            "a `#[namespace]` type cannot be generic",
        );
    }
    if let Some((_, path, _)) = &block.trait_ {
        cx.error_at(
            path.span(),
            "`#[namespace]` goes on an inherent impl, not a trait impl",
        );
    }
    let self_ty = (*block.self_ty).clone();
    let namespace = args.path.value();
    let type_name = quote!(#self_ty).to_string().replace(' ', "");
    let requirement = format!(
        "namespace class `{type_name}` of `{namespace}` needs its object: add `.state({type_name} {{ .. }})` to the server builder"
    );
    let require = quote!(builder.__require_state::<#self_ty>(#requirement));
    let mut generated = Vec::new();
    let mut entries = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for item in &mut block.items {
        let ImplItem::Fn(method) = item else { continue };
        let attrs: Vec<_> = method.attrs.iter().filter(|a| is_on(a)).cloned().collect();
        method.attrs.retain(|a| !is_on(a));
        if attrs.is_empty() {
            continue;
        }
        let mut routes = Vec::new();
        for attr in &attrs {
            match attr.parse_args::<OnArgs>() {
                Ok(on) if on.namespace.is_some() => cx.error_at(
                    on.namespace.as_ref().map_or(attr.span(), |ns| ns.span()),
                    format!("methods of a `#[namespace]` impl belong to `{namespace}`: remove `namespace = ..`"),
                ),
                Ok(on) => {
                    if seen.contains(&on.event.value()) {
                        cx.error_at(
                            on.event.span(),
                            format!("event `{}` already has a handler in this namespace", on.event.value()),
                        );
                        continue;
                    }
                    seen.push(on.event.value());
                    routes.push(Route {
                        namespace: namespace.clone(),
                        event: on.event,
                    });
                }
                Err(error) => cx.syn_error(error),
            }
        }
        let Some(kind) = routes.first().map(|r| Kind::of(&r.event.value())) else {
            continue;
        };
        let handler = check::handler(kind, &method.sig, Place::Method, &cx);
        let method_name = method.sig.ident.to_string();
        let call = format_ident!("__ferrio_call_{}", method_name);
        let path = expand::handler_path(&format!("{type_name}::{method_name}"));
        generated.push(expand::call_fn(
            &handler,
            &call,
            &Callee::Method { self_ty: &self_ty },
        ));
        let (registers, mut method_entries) = registrations(
            &handler,
            routes.into_iter(),
            &call,
            &path,
            Some(&require),
            &format!("_{method_name}"),
        );
        generated.extend(registers);
        entries.append(&mut method_entries);
    }
    if let Err(errors) = cx.check() {
        return ctxt::with_errors(&block, errors);
    }
    let routes = expand::routes(&quote!(#self_ty), &entries);
    quote! {
        #block

        const _: () = {
            #(#generated)*
            #routes
        };
    }
}

/// Declares a namespace's contract: the events clients may send and the events the server may
/// emit, with their arguments and acknowledgements, checked by rustc on every handler and emit
/// and exported as TypeScript typings.
///
/// # Grammar
///
/// ```text
/// #[schema(Name, namespace = "/ns")]
/// pub mod name {
///     use super::*;
///     pub trait ClientToServer { fn event(arg: Type, ..) -> Ack; #[event("wireName")] fn other(); }
///     pub trait ServerToClient { fn event(arg: Type, ..) -> Ack; }
/// }
/// ```
///
/// # Typing requirements
///
/// Client-to-server arguments and server acknowledgements implement `Deserialize + TS`;
/// server-to-client arguments and client acknowledgements implement `Serialize + TS`
/// (`ferrio::schema::TS` is ts-rs's derive). Event names are not empty, not declared twice, and
/// not reserved (`connect`, `connect_error`, `disconnect`, `disconnecting`, `newListener`,
/// `removeListener`).
///
/// # Semantics
///
/// The module keeps its other items and gains `pub struct Name` (the namespace) and one type per
/// event, named in CamelCase (`click_gold` is `ClickGold`), whose fields are the arguments:
/// handle a client event with `#[on(ClickGold)]`; emit a server event with
/// `socket.emit(GoldClicked("..".into()))` on a `Socket<Name>`. `Name::typescript()` returns
/// the `.d.ts` declarations for socket.io-client's typed socket.
///
/// # Examples
///
/// ```
/// use ferrio::prelude::*;
///
/// #[schema(Game, namespace = "/game")]
/// pub mod game {
///     pub trait ClientToServer {
///         #[event("clickGold")]
///         fn click_gold();
///     }
///     pub trait ServerToClient {
///         #[event("goldClicked")]
///         fn gold_clicked(message: String);
///     }
/// }
///
/// #[on(game::ClickGold)]
/// fn click_gold(socket: Socket<game::Game>) {
///     let _ = socket.emit(game::GoldClicked("I see you clicking that gold".into()));
/// }
/// ```
#[proc_macro_attribute]
pub fn schema(attr: TokenStream, item: TokenStream) -> TokenStream {
    let item: Tokens = item.into();
    let result = syn::parse::<schema::SchemaArgs>(attr).and_then(|args| {
        let module: syn::ItemMod = syn::parse2(item.clone())
            .map_err(|_| syn::Error::new(item.span(), "`#[schema]` goes on a module"))?;
        schema::expand(args, module)
    });
    match result {
        Ok(tokens) => tokens.into(),
        Err(error) => item
            .into_iter()
            .chain(error.to_compile_error())
            .collect::<Tokens>()
            .into(),
    }
}
