//! Parsing the attributes: `#[on("event", namespace = "/ns")]`, `#[on_error(namespace = ..)]`,
//! `#[on_server_event("event")]` and `#[namespace("/ns")]`.

use syn::parse::{Parse, ParseStream};
use syn::{Attribute, LitStr, Token};

mod kw {
    syn::custom_keyword!(namespace);
}

/// Events a handler cannot be registered for: socket.io reserves them on the client.
const RESERVED: &[&str] = &[
    "connect_error",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// The arguments of one `#[on(..)]`.
pub(crate) struct OnArgs {
    pub(crate) event: LitStr,
    pub(crate) namespace: Option<LitStr>,
}

impl Parse for OnArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(input.error(
                "missing the event name: write `#[on(\"event\")]` or `#[on(\"event\", namespace = \"/ns\")]`",
            ));
        }
        let event: LitStr = input.parse().map_err(|error| {
            syn::Error::new(
                error.span(),
                "the event name must be a string literal, such as `#[on(\"buy\")]`, or a schema's event type, such as `#[on(game::Buy)]`",
            )
        })?;
        check_event(&event)?;
        let namespace = parse_namespace_key(input)?;
        Ok(Self { event, namespace })
    }
}

/// The argument of `#[on_server_event("event")]`.
pub(crate) struct ServerEventArgs {
    pub(crate) event: LitStr,
}

impl Parse for ServerEventArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let event: LitStr = input.parse().map_err(|error| {
            syn::Error::new(
                error.span(),
                "write the server event's name as a string literal: `#[on_server_event(\"count-players\")]`",
            )
        })?;
        check_event(&event)?;
        if !input.is_empty() {
            return Err(input.error(
                "`#[on_server_event]` takes only the event name: server events reach the main namespace",
            ));
        }
        Ok(Self { event })
    }
}

/// The arguments of `#[on_error]` or `#[on_error(namespace = "/ns")]`.
pub(crate) struct ErrorArgs {
    pub(crate) namespace: Option<LitStr>,
}

impl Parse for ErrorArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.is_empty() {
            return Ok(Self { namespace: None });
        }
        let namespace = parse_key_values(input)?;
        Ok(Self { namespace })
    }
}

/// The argument of `#[namespace("/ns")]`.
pub(crate) struct NamespaceArgs {
    pub(crate) path: LitStr,
}

impl Parse for NamespaceArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let path: LitStr = input.parse().map_err(|error| {
            syn::Error::new(
                error.span(),
                "write the namespace as a string literal: `#[namespace(\"/chat\")]`",
            )
        })?;
        check_namespace(&path)?;
        if !input.is_empty() {
            return Err(input.error("`#[namespace]` takes only the namespace path"));
        }
        Ok(Self { path })
    }
}

/// After the event name: nothing, or `, namespace = "/ns"`.
fn parse_namespace_key(input: ParseStream<'_>) -> syn::Result<Option<LitStr>> {
    if input.is_empty() {
        return Ok(None);
    }
    input.parse::<Token![,]>()?;
    if input.is_empty() {
        return Ok(None);
    }
    parse_key_values(input)
}

/// `namespace = "/ns"`, once, and nothing else.
fn parse_key_values(input: ParseStream<'_>) -> syn::Result<Option<LitStr>> {
    let mut namespace: Option<LitStr> = None;
    while !input.is_empty() {
        let lookahead = input.lookahead1();
        if lookahead.peek(kw::namespace) {
            let key: kw::namespace = input.parse()?;
            input.parse::<Token![=]>()?;
            let value: LitStr = input.parse()?;
            if namespace.is_some() {
                return Err(syn::Error::new(key.span, "`namespace` is given twice"));
            }
            check_namespace(&value)?;
            namespace = Some(value);
        } else if input.peek(syn::Ident) {
            let key: syn::Ident = input.parse()?;
            return Err(syn::Error::new(
                key.span(),
                format!("unknown key `{key}`: the only key is `namespace = \"/ns\"`"),
            ));
        } else {
            return Err(lookahead.error());
        }
        if !input.is_empty() {
            input.parse::<Token![,]>()?;
        }
    }
    Ok(namespace)
}

fn check_event(event: &LitStr) -> syn::Result<()> {
    let name = event.value();
    if name.is_empty() {
        return Err(syn::Error::new(event.span(), "the event name is empty"));
    }
    if RESERVED.contains(&name.as_str()) {
        return Err(syn::Error::new(
            event.span(),
            format!(
                "`{name}` is reserved by socket.io and never reaches the server; choose another event name"
            ),
        ));
    }
    Ok(())
}

fn check_namespace(path: &LitStr) -> syn::Result<()> {
    let value = path.value();
    if !value.starts_with('/') {
        return Err(syn::Error::new(
            path.span(),
            format!("a namespace starts with `/`: write \"/{value}\""),
        ));
    }
    Ok(())
}

/// Whether an attribute is `#[on(..)]` (or `#[ferrio::on(..)]`).
pub(crate) fn is_on(attr: &Attribute) -> bool {
    attr.path().segments.last().is_some_and(|s| s.ident == "on")
}
