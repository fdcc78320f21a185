//! `#[schema(Name, namespace = "/ns")] mod ..`: a namespace's contract, as one type per event.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{FnArg, Ident, Item, ItemMod, LitStr, Pat, ReturnType, Token, TraitItem, Type};

use crate::ctxt::Ctxt;

/// Names a schema may not declare: socket.io reserves them.
const RESERVED: &[&str] = &[
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// `Name, namespace = "/ns"`.
pub(crate) struct SchemaArgs {
    name: Ident,
    namespace: LitStr,
}

impl Parse for SchemaArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let name: Ident = input.parse().map_err(|error| {
            syn::Error::new(
                error.span(),
                "name the namespace type first: `#[schema(Game, namespace = \"/game\")]`",
            )
        })?;
        input.parse::<Token![,]>()?;
        let key: Ident = input.parse()?;
        if key != "namespace" {
            return Err(syn::Error::new(
                key.span(),
                format!("unknown key `{key}`: the only key is `namespace = \"/ns\"`"),
            ));
        }
        input.parse::<Token![=]>()?;
        let namespace: LitStr = input.parse()?;
        if !namespace.value().starts_with('/') {
            return Err(syn::Error::new(
                namespace.span(),
                format!(
                    "a namespace starts with `/`: write \"/{}\"",
                    namespace.value()
                ),
            ));
        }
        if !input.is_empty() {
            return Err(
                input.error("`#[schema]` takes the type name and `namespace = \"/ns\"` only")
            );
        }
        Ok(Self { name, namespace })
    }
}

/// Which way an event travels.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    ClientToServer,
    ServerToClient,
}

/// One declared event.
struct Event {
    direction: Direction,
    name: LitStr,
    type_name: Ident,
    params: Vec<(Ident, Type)>,
    ack: Option<Type>,
}

/// Expands a schema module, or reports every mistake in it.
pub(crate) fn expand(args: SchemaArgs, mut module: ItemMod) -> syn::Result<TokenStream> {
    let Some((_, items)) = module.content.as_mut() else {
        return Err(syn::Error::new(
            module.ident.span(),
            "`#[schema]` goes on an inline module: `pub mod game { pub trait ClientToServer { .. } pub trait ServerToClient { .. } }`",
        ));
    };
    let cx = Ctxt::new();
    let mut events = Vec::new();
    let mut kept = Vec::new();
    for item in items.drain(..) {
        match item {
            Item::Trait(declaration) => {
                let direction = match declaration.ident.to_string().as_str() {
                    "ClientToServer" => Direction::ClientToServer,
                    "ServerToClient" => Direction::ServerToClient,
                    _ => {
                        cx.error_at(
                            declaration.ident.span(),
                            "a schema declares its events in `trait ClientToServer` and `trait ServerToClient` only",
                        );
                        continue;
                    }
                };
                for item in &declaration.items {
                    match item {
                        TraitItem::Fn(function) => match event(direction, function) {
                            Ok(event) => events.push(event),
                            Err(error) => cx.syn_error(error),
                        },
                        other => cx.error_spanned_by(
                            other,
                            "declare each event as a function: `fn buy(item: Equipment) -> Receipt;`",
                        ),
                    }
                }
            }
            other => kept.push(other),
        }
    }
    check_names(&events, &cx);
    if let Err(errors) = cx.check() {
        let (attrs, vis, ident) = (&module.attrs, &module.vis, &module.ident);
        let kept = quote! {
            #(#attrs)*
            #[allow(unused)]
            #vis mod #ident {
                #(#kept)*
            }
        };
        return Ok(crate::ctxt::with_errors(kept, errors));
    }
    let generated = generate(&args, &events);
    let attrs = &module.attrs;
    let vis = &module.vis;
    let ident = &module.ident;
    Ok(quote! {
        #(#attrs)*
        #vis mod #ident {
            #(#kept)*
            #generated
        }
    })
}

fn event(direction: Direction, function: &syn::TraitItemFn) -> syn::Result<Event> {
    let sig = &function.sig;
    if let Some(token) = &sig.asyncness {
        return Err(syn::Error::new(
            token.span(),
            "event declarations are not `async`: write `fn`",
        ));
    }
    if !sig.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &sig.generics,
            "event declarations cannot be generic",
        ));
    }
    let mut name = LitStr::new(&sig.ident.to_string(), sig.ident.span());
    for attr in &function.attrs {
        if attr.path().is_ident("event") {
            name = attr.parse_args::<LitStr>()?;
        } else if !attr.path().is_ident("doc") {
            return Err(syn::Error::new_spanned(
                attr,
                "unknown attribute: an event takes `#[event(\"wireName\")]` and doc comments",
            ));
        }
    }
    let mut params = Vec::new();
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(receiver) => {
                return Err(syn::Error::new_spanned(
                    receiver,
                    "event declarations take no `self`",
                ));
            }
            FnArg::Typed(typed) => match &*typed.pat {
                Pat::Ident(ident) => params.push((ident.ident.clone(), (*typed.ty).clone())),
                other => {
                    return Err(syn::Error::new(
                        other.span(),
                        "name each argument (`item: Equipment`): the name is the TypeScript parameter's",
                    ));
                }
            },
        }
    }
    let ack = match &sig.output {
        ReturnType::Default => None,
        ReturnType::Type(_, ty) => Some((**ty).clone()),
    };
    Ok(Event {
        direction,
        type_name: format_ident!(
            "{}",
            camel_case(&sig.ident.to_string()),
            span = sig.ident.span()
        ),
        name,
        params,
        ack,
    })
}

fn camel_case(snake: &str) -> String {
    snake
        .split('_')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

fn check_names(events: &[Event], cx: &Ctxt) {
    // A payload type named like an event's generated type would be shadowed by it.
    for ty in events
        .iter()
        .flat_map(|e| e.params.iter().map(|(_, ty)| ty).chain(&e.ack))
    {
        if let Type::Path(path) = ty
            && let Some(ident) = path.path.get_ident()
            && events.iter().any(|e| e.type_name == *ident)
        {
            cx.error_at(
                ident.span(),
                format!("`{ident}` is also the type generated for an event, which would shadow it here: rename the event's function or the payload type"),
            );
        }
    }
    for (i, event) in events.iter().enumerate() {
        let name = event.name.value();
        if name.is_empty() {
            cx.error_at(event.name.span(), "an event name cannot be empty");
        }
        if RESERVED.contains(&name.as_str()) {
            cx.error_at(
                event.name.span(),
                format!("`{name}` is reserved by socket.io; choose another event name"),
            );
        }
        let earlier = &events[..i];
        if earlier
            .iter()
            .any(|e| e.direction == event.direction && e.name.value() == name)
        {
            cx.error_at(
                event.name.span(),
                format!("event `{name}` is declared twice"),
            );
        } else if earlier.iter().any(|e| e.type_name == event.type_name) {
            cx.error_at(
                event.type_name.span(),
                format!(
                    "two events would both be the type `{}`: rename one function",
                    event.type_name
                ),
            );
        }
    }
}

fn generate(args: &SchemaArgs, events: &[Event]) -> TokenStream {
    let schema = quote!(::ferrio::schema);
    let namespace = &args.name;
    let path = &args.namespace;
    let client_names = events
        .iter()
        .filter(|e| e.direction == Direction::ClientToServer)
        .map(|e| &e.name);
    let ts_client = events
        .iter()
        .filter(|e| e.direction == Direction::ClientToServer)
        .map(ts_event);
    let ts_server = events
        .iter()
        .filter(|e| e.direction == Direction::ServerToClient)
        .map(ts_event);
    let per_event = events.iter().map(|event| event_items(namespace, event));
    quote! {
        /// The namespace this schema declares.
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct #namespace;

        impl #schema::Namespace for #namespace {
            const PATH: &'static str = #path;
            const CLIENT_EVENTS: &'static [&'static str] = &[#(#client_names),*];
            fn typescript() -> ::std::string::String {
                #schema::typescript::declarations(#path, &[#(#ts_client),*], &[#(#ts_server),*])
            }
        }

        #(#per_event)*
    }
}

/// The TypeScript description of an event, built at run time from the types' `TS` impls.
fn ts_event(event: &Event) -> TokenStream {
    let ts = quote!(::ferrio::schema::typescript);
    let private = quote!(::ferrio::__private::schema);
    let (args_ts, ack_ts) = match event.direction {
        Direction::ClientToServer => (quote!(client_ts), quote!(server_ts)),
        Direction::ServerToClient => (quote!(server_ts), quote!(client_ts)),
    };
    let name = &event.name;
    let trailing_options = event
        .params
        .iter()
        .rev()
        .take_while(|(_, ty)| is_option(ty))
        .count();
    let first_optional = event.params.len() - trailing_options;
    let params = event.params.iter().enumerate().map(|(i, (ident, ty))| {
        let label = ident.to_string();
        let optional = i >= first_optional;
        let of = quote_spanned!(ty.span()=> #private::#args_ts::<#ty>());
        quote!(#ts::TsParam { name: #label, ty: #of, optional: #optional })
    });
    let ack = match &event.ack {
        Some(ty) => {
            let of = quote_spanned!(ty.span()=> #private::#ack_ts::<#ty>());
            quote!(::core::option::Option::Some(#of))
        }
        None => quote!(::core::option::Option::None),
    };
    quote!(#ts::TsEvent { name: #name, params: ::std::vec![#(#params),*], ack: #ack })
}

fn is_option(ty: &Type) -> bool {
    matches!(ty, Type::Path(path) if path.path.segments.last().is_some_and(|s| s.ident == "Option"))
}

/// The type of one event and the impls that tie it to its namespace.
fn event_items(namespace: &Ident, event: &Event) -> TokenStream {
    let private = quote!(::ferrio::__private::schema);
    let schema = quote!(::ferrio::schema);
    let ty = &event.type_name;
    let name = &event.name;
    let types: Vec<&Type> = event.params.iter().map(|(_, ty)| ty).collect();
    let doc = format!(
        "The `{}` event: its arguments, in order.",
        event.name.value()
    );
    let declaration = if types.is_empty() {
        quote!(#[doc = #doc] #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)] pub struct #ty;)
    } else {
        let fields = (0..types.len()).map(syn::Index::from);
        let fields2 = fields.clone();
        let label = ty.to_string();
        quote! {
            #[doc = #doc]
            pub struct #ty(#(pub #types),*);
            // `for<'__f>` keeps these bounds from being checked here: the impls exist when
            // the payload types implement the trait, instead of requiring it of them.
            impl ::core::fmt::Debug for #ty where #(for<'__f> #types: ::core::fmt::Debug),* {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.debug_tuple(#label)#(.field(&self.#fields))*.finish()
                }
            }
            impl ::core::clone::Clone for #ty where #(for<'__f> #types: ::core::clone::Clone),* {
                fn clone(&self) -> Self {
                    Self(#(::core::clone::Clone::clone(&self.#fields2)),*)
                }
            }
        }
    };
    let count = types.len();
    let indexes = 0..count;
    let read = if count == 0 {
        quote!(Self)
    } else {
        quote!(Self(#(args.arg(#indexes)?),*))
    };
    let serde = quote!(::ferrio::__private::serde);
    let common = quote! {
        #declaration
        impl #private::Event for #ty {
            type Namespace = #namespace;
            const NAME: &'static str = #name;
        }
        impl #schema::FromArgs for #ty
        where #(for<'__f> #types: #serde::de::DeserializeOwned + 'static),*
        {
            fn from_args(args: &::ferrio::Payload) -> ::core::result::Result<Self, #private::ArgsError> {
                ::core::result::Result::Ok(#read)
            }
        }
    };
    match event.direction {
        Direction::ClientToServer => {
            let ty_name = ty;
            let args = types
                .iter()
                .enumerate()
                .map(|(i, arg)| quote!(impl #private::ArgIs<#i, #arg> for #ty_name {}))
                .chain(
                    (types.len()..16)
                        .map(|i| quote!(impl<T> #private::ArgIs<#i, T> for #ty_name {})),
                )
                .collect::<Vec<_>>();
            let ack = event.ack.clone().unwrap_or_else(|| syn::parse_quote!(()));
            let (declared_ack, ack_awaited) = match &event.ack {
                Some(ack) => (
                    quote!(#ack),
                    quote! {
                        impl #schema::AckAwaited<#ty> for #ack
                        where for<'__f> #ack: #serde::de::DeserializeOwned + ::core::marker::Send + 'static
                        {
                            type Reply = #ack;
                        }
                    },
                ),
                None => (quote!(#schema::NoAck), TokenStream::new()),
            };
            let serialize = serialize_as_args(
                ty,
                count,
                &quote!(#(for<'__f> #types: #serde::Serialize),*),
                |field| quote!(&self.#field),
            );
            quote! {
                #common
                impl #schema::ClientEvent for #ty {
                    type Namespace = #namespace;
                    const NAME: &'static str = #name;
                }
                impl #schema::ClientEmitOn<#namespace> for #ty { type Ack = #declared_ack; }
                #ack_awaited
                #serialize
                #(#args)*
                impl #private::Arity<#count> for #ty {}
                impl #private::AcceptsReturn<#ack> for #ty {}
                impl<E> #private::AcceptsReturn<::core::result::Result<#ack, E>> for #ty {}
                impl #private::AcceptsSocket<::ferrio::Socket<#namespace>> for #ty {}
            }
        }
        Direction::ServerToClient => {
            let payloads = quote!(#(for<'__f> #types: #private::ServerPayload),*);
            let serialize = serialize_as_args(
                ty,
                count,
                &payloads,
                |field| quote!(&#private::AsPayload(&self.#field)),
            );
            let ack = match &event.ack {
                Some(ack) => quote!(#ack),
                None => quote!(#schema::NoAck),
            };
            quote! {
                #common
                impl #schema::ServerEvent for #ty where #payloads {
                    type Namespace = #namespace;
                    const NAME: &'static str = #name;
                }
                impl #schema::EmitOn<#namespace> for #ty where #payloads { type Ack = #ack; }
                // A server event in `#[on(..)]` is reported once, as not a client event.
                impl<const I: usize, T> #private::ArgIs<I, T> for #ty {}
                impl<const N: usize> #private::Arity<N> for #ty {}
                impl<R> #private::AcceptsReturn<R> for #ty {}
                impl<S> #private::AcceptsSocket<S> for #ty {}
                #serialize
            }
        }
    }
}

/// `Serialize` for an event's type, as its arguments: each field its own argument on the
/// wire, serialized as `element` writes it, when `bounds` hold.
fn serialize_as_args(
    ty: &Ident,
    count: usize,
    bounds: &TokenStream,
    element: impl Fn(syn::Index) -> TokenStream,
) -> TokenStream {
    let serde = quote!(::ferrio::__private::serde);
    let elements = (0..count).map(syn::Index::from).map(element);
    quote! {
        /// Serializes as the event's arguments, each its own argument on the wire.
        impl #serde::Serialize for #ty where #bounds {
            fn serialize<S: #serde::Serializer>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error> {
                use #serde::ser::SerializeTuple;
                let mut args = serializer.serialize_tuple(#count)?;
                #(args.serialize_element(#elements)?;)*
                args.end()
            }
        }
    }
}
