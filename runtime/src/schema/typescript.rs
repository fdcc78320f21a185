//! TypeScript typings of a namespace's event schema, for socket.io-client.
//!
//! [`declarations`] writes the two event maps socket.io's typed API expects,
//! `ClientToServerEvents` and `ServerToClientEvents`, preceded by the declaration
//! of every named type they mention. A browser uses them as
//! `Socket<ServerToClientEvents, ClientToServerEvents>`:
//!
//! ```ts
//! import { io, Socket } from "socket.io-client";
//! import type { ClientToServerEvents, ServerToClientEvents } from "./clicker";
//! const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io();
//! ```
//!
//! Payload types describe themselves with [`ts-rs`](https://docs.rs/ts-rs)'s
//! `#[derive(TS)]` (re-exported as [`TS`]), which follows their serde attributes
//! (`rename`, `rename_all`, `tag`, `content`, `untagged`, `flatten`, `skip`, ...).
//! Two rules differ from ts-rs's defaults, because the payloads travel as JSON:
//! - every integer is a `number`, `u64`, `i64` and `u128` included (ts-rs says
//!   `bigint`, which `JSON.parse` never produces);
//! - an `Option<T>` field is a required `T | null`. A client→server struct whose
//!   client may leave a field out should say so with
//!   `#[ts(optional = nullable)]` (`field?: T | null`), which matches serde's
//!   acceptance of a missing `Option` field.

use std::any::TypeId;
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

pub use ts_rs::TS;
use ts_rs::{Config, TypeVisitor};

/// The command that regenerates the committed `.d.ts` files, named in their header.
const REGENERATE_WITH: &str = "FERRIO_BLESS=1 cargo test -p ferrio-tests --test typescript";

/// The names of the two interfaces [`declarations`] writes; no payload type may take them.
const CLIENT_TO_SERVER: &str = "ClientToServerEvents";
const SERVER_TO_CLIENT: &str = "ServerToClientEvents";

/// The ts-rs configuration: JSON numbers for the large integers.
fn config() -> Config {
    Config::new().with_large_int("number")
}

/// A TypeScript type: its expression, and the named declarations it needs (name -> `export ...` text).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TsType {
    expression: String,
    declarations: BTreeMap<String, String>,
}

impl TsType {
    /// `T` as TypeScript, with JSON numbers for every integer (u64/i64/u128 -> `number`, never
    /// `bigint`), and the declarations of T and every type it depends on, recursively.
    ///
    /// # Panics
    ///
    /// If two different Rust types among them have the same TypeScript name (rename one with
    /// `#[ts(rename = "..")]`).
    #[must_use]
    pub fn of<T: TS + ?Sized + 'static>() -> TsType {
        let cfg = config();
        let mut collector = Collector {
            cfg: &cfg,
            seen: HashSet::new(),
            declarations: BTreeMap::new(),
        };
        collector.visit::<T>();
        TsType {
            expression: T::name(&cfg),
            declarations: collector.declarations,
        }
    }

    /// The type expression, as it appears in a parameter: `string`, `Equipment`,
    /// `Array<Item> | null`.
    #[must_use]
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The declarations the expression needs, by name: `export type X = ...;` or
    /// `export interface X { ... }` text (with the type's doc comment, if any).
    #[must_use]
    pub fn declarations(&self) -> &BTreeMap<String, String> {
        &self.declarations
    }

    /// Whether `null` is already one of the expression's alternatives (`Option<T>`, `()`).
    fn is_nullable(&self) -> bool {
        self.expression == "null" || self.expression.ends_with("| null")
    }
}

/// Walks a type and everything it depends on, collecting the declarations of the named types.
struct Collector<'a> {
    cfg: &'a Config,
    seen: HashSet<TypeId>,
    declarations: BTreeMap<String, String>,
}

impl TypeVisitor for Collector<'_> {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        if !self.seen.insert(TypeId::of::<T>()) {
            return;
        }
        // ts-rs gives an output path to exactly the types that have a declaration of their own
        // (derived ones); primitives, `Option`, `Vec`, maps and tuples are written inline.
        if T::output_path().is_some() {
            let mut text = T::docs().unwrap_or_default();
            text.push_str("export ");
            text.push_str(&T::decl(self.cfg));
            insert_declaration(&mut self.declarations, T::ident(self.cfg), text);
        }
        // The type arguments (`Vec<Item>`, `Option<Item>`, `Page<Item>`) and the types of the
        // fields. Visiting more than needed is harmless: only named types are declared.
        T::visit_generics(self);
        T::visit_dependencies(self);
    }
}

/// Adds a declaration, once; a different one under the same name is two Rust types that
/// TypeScript cannot tell apart.
fn insert_declaration(declarations: &mut BTreeMap<String, String>, name: String, text: String) {
    match declarations.get(&name) {
        None => {
            declarations.insert(name, text);
        }
        Some(existing) if *existing == text => {}
        Some(existing) => panic!(
            "two different types are both named `{name}` in TypeScript; rename one with \
             #[ts(rename = \"..\")]:\n{existing}\n{text}"
        ),
    }
}

/// One parameter of an event.
#[derive(Debug, Clone)]
pub struct TsParam {
    /// The parameter's name, as the schema declares it.
    pub name: &'static str,
    /// Its type.
    pub ty: TsType,
    /// A trailing `Option<T>` argument the sender may leave out.
    pub optional: bool,
}

/// One event of a schema: its wire name, its parameters, the acknowledgement (None = none).
#[derive(Debug, Clone)]
pub struct TsEvent {
    /// The event's name on the wire.
    pub name: &'static str,
    /// Its parameters, in order.
    pub params: Vec<TsParam>,
    /// The acknowledgement's type, if the event declares one.
    pub ack: Option<TsType>,
}

/// The `.d.ts` text of a namespace: every needed declaration once (sorted by name), then
/// `export interface ClientToServerEvents { .. }` and `export interface ServerToClientEvents { .. }`.
///
/// Each event is a member `name: (param: Type, ...) => void;`, sorted by name, the name quoted
/// when it is not a JavaScript identifier. An acknowledgement is a trailing
/// `callback: (ack: Ack) => void` parameter, in both directions (socket.io's convention: the
/// client's `emit` passes it, its `emitWithAck` resolves to `Ack`; for a server→client event,
/// the client's listener calls it to answer). Optional parameters that end the list become
/// `name?: T | null`; not when an acknowledgement follows them, since a callback must come last.
///
/// # Panics
///
/// If two different types have the same TypeScript name, or a type is named
/// `ClientToServerEvents` or `ServerToClientEvents`.
#[must_use]
pub fn declarations(
    namespace: &str,
    client_to_server: &[TsEvent],
    server_to_client: &[TsEvent],
) -> String {
    let mut needed = BTreeMap::new();
    for event in client_to_server.iter().chain(server_to_client) {
        let types = event.params.iter().map(|p| &p.ty).chain(event.ack.as_ref());
        for ty in types {
            for (name, text) in &ty.declarations {
                insert_declaration(&mut needed, name.clone(), text.clone());
            }
        }
    }
    for reserved in [CLIENT_TO_SERVER, SERVER_TO_CLIENT] {
        assert!(
            !needed.contains_key(reserved),
            "a payload type is named `{reserved}` in TypeScript, like the event map; rename it \
             with #[ts(rename = \"..\")]"
        );
    }

    let mut out = format!(
        "// Generated by ferrio from the schema of namespace {}. Do not edit: regenerate with \
         {REGENERATE_WITH}.\n",
        string_literal(namespace)
    );
    for text in needed.values() {
        out.push('\n');
        out.push_str(text.trim_end());
        out.push('\n');
    }
    for (interface, events) in [
        (CLIENT_TO_SERVER, client_to_server),
        (SERVER_TO_CLIENT, server_to_client),
    ] {
        out.push('\n');
        write_interface(&mut out, interface, events);
    }
    out
}

/// `export interface Name { .. }`, one member per event, sorted by wire name.
fn write_interface(out: &mut String, interface: &str, events: &[TsEvent]) {
    let mut events: Vec<&TsEvent> = events.iter().collect();
    events.sort_by_key(|event| event.name);
    if events.is_empty() {
        let _ = writeln!(out, "export interface {interface} {{}}");
        return;
    }
    let _ = writeln!(out, "export interface {interface} {{");
    for event in events {
        let _ = writeln!(out, "  {}: {};", property_name(event.name), listener(event));
    }
    out.push_str("}\n");
}

/// `(param: Type, ..., callback: (ack: Ack) => void) => void`.
fn listener(event: &TsEvent) -> String {
    // Parameter names only document: TypeScript matches parameters by position. They must still
    // be distinct identifiers that are not reserved words.
    let mut used = HashSet::new();
    let mut params = Vec::with_capacity(event.params.len() + 1);
    // Only a run of optional parameters at the very end may be `?`, and none before a callback.
    let first_optional = if event.ack.is_some() {
        event.params.len()
    } else {
        event
            .params
            .iter()
            .rposition(|p| !p.optional)
            .map_or(0, |last_required| last_required + 1)
    };
    for (index, param) in event.params.iter().enumerate() {
        let name = parameter_name(param.name, index, &mut used);
        let ty = &param.ty;
        let nullable = if param.optional && !ty.is_nullable() {
            " | null"
        } else {
            ""
        };
        let question = if index >= first_optional { "?" } else { "" };
        params.push(format!("{name}{question}: {}{nullable}", ty.expression));
    }
    if let Some(ack) = &event.ack {
        let name = parameter_name("callback", params.len(), &mut used);
        params.push(format!("{name}: (ack: {}) => void", ack.expression));
    }
    format!("({}) => void", params.join(", "))
}

/// A parameter name TypeScript accepts, distinct from the others: the Rust name without `r#`,
/// with `_` appended to a reserved word, or `argN` when it is no identifier at all.
fn parameter_name(name: &str, index: usize, used: &mut HashSet<String>) -> String {
    let name = name.strip_prefix("r#").unwrap_or(name);
    let mut name = if !is_identifier(name) {
        format!("arg{index}")
    } else if RESERVED.contains(&name) {
        format!("{name}_")
    } else {
        name.to_owned()
    };
    while !used.insert(name.clone()) {
        name.push('_');
    }
    name
}

/// An event name as an interface member: bare if it is an identifier, else a string literal.
/// (Reserved words are fine as member names.)
fn property_name(name: &str) -> String {
    if is_identifier(name) {
        name.to_owned()
    } else {
        string_literal(name)
    }
}

/// An ASCII JavaScript identifier: `[A-Za-z_$][A-Za-z0-9_$]*`. (Other Unicode identifiers are
/// quoted, which is always valid.)
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// A double-quoted JavaScript string literal.
fn string_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Words that cannot name a parameter in strict-mode TypeScript (`this` would even declare the
/// function's `this` type).
const RESERVED: &[&str] = &[
    "arguments",
    "await",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "eval",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "implements",
    "import",
    "in",
    "instanceof",
    "interface",
    "let",
    "new",
    "null",
    "package",
    "private",
    "protected",
    "public",
    "return",
    "static",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "var",
    "void",
    "while",
    "with",
    "yield",
];

#[cfg(test)]
#[allow(unreachable_pub)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, TS)]
    #[serde(rename_all = "lowercase")]
    enum Equipment {
        Shovel,
        Excavator,
    }

    #[derive(Serialize, TS)]
    struct Purchase {
        bought: bool,
        gold: u64,
    }

    #[derive(Serialize, TS)]
    struct Inventory {
        shovel: u64,
        excavator: u64,
    }

    #[derive(Serialize, TS)]
    #[serde(rename_all = "camelCase")]
    struct GameState {
        username: String,
        gold: u64,
        equipment: Inventory,
        gold_per_second: u64,
    }

    /// A message of the chat.
    #[allow(dead_code)] // only described, never built
    #[derive(Serialize, TS)]
    #[serde(
        tag = "kind",
        rename_all = "camelCase",
        rename_all_fields = "camelCase"
    )]
    enum Message {
        Text {
            body: String,
            sent_at: i64,
        },
        Image {
            url: String,
            caption: Option<String>,
        },
        Left,
    }

    #[derive(Serialize, Deserialize, TS)]
    #[serde(rename_all = "camelCase")]
    struct Draft {
        #[ts(optional = nullable)]
        reply_to: Option<u128>,
        attachments: Vec<Attachment>,
    }

    #[derive(Serialize, Deserialize, TS)]
    #[serde(rename = "File")]
    struct Attachment {
        name: String,
        size: u32,
    }

    #[derive(Serialize, TS)]
    struct Page<T> {
        items: Vec<T>,
        next: Option<String>,
    }

    mod other {
        #[derive(serde::Serialize, ts_rs::TS)]
        pub struct Inventory {
            pub items: Vec<String>,
        }
    }

    fn param(name: &'static str, ty: TsType) -> TsParam {
        TsParam {
            name,
            ty,
            optional: false,
        }
    }

    fn optional(name: &'static str, ty: TsType) -> TsParam {
        TsParam {
            name,
            ty,
            optional: true,
        }
    }

    fn event(name: &'static str, params: Vec<TsParam>, ack: Option<TsType>) -> TsEvent {
        TsEvent { name, params, ack }
    }

    fn decls(ty: &TsType) -> Vec<(&str, &str)> {
        ty.declarations()
            .iter()
            .map(|(name, text)| (name.as_str(), text.as_str()))
            .collect()
    }

    #[test]
    fn primitives_are_json_types() {
        for (ty, expected) in [
            (TsType::of::<u64>(), "number"),
            (TsType::of::<i64>(), "number"),
            (TsType::of::<u128>(), "number"),
            (TsType::of::<u8>(), "number"),
            (TsType::of::<f64>(), "number"),
            (TsType::of::<String>(), "string"),
            (TsType::of::<str>(), "string"),
            (TsType::of::<bool>(), "boolean"),
            (TsType::of::<()>(), "null"),
            (TsType::of::<Option<u64>>(), "number | null"),
            (TsType::of::<Vec<i64>>(), "Array<number>"),
        ] {
            assert_eq!(ty.expression(), expected);
            assert!(ty.declarations().is_empty());
        }
    }

    #[test]
    fn renamed_unit_enum() {
        let ty = TsType::of::<Equipment>();
        assert_eq!(ty.expression(), "Equipment");
        assert_eq!(
            decls(&ty),
            [(
                "Equipment",
                r#"export type Equipment = "shovel" | "excavator";"#
            )]
        );
    }

    #[test]
    fn nested_struct_with_u64_and_camel_case() {
        let ty = TsType::of::<GameState>();
        assert_eq!(ty.expression(), "GameState");
        assert_eq!(
            decls(&ty),
            [
                (
                    "GameState",
                    "export type GameState = { username: string, gold: number, equipment: \
                     Inventory, goldPerSecond: number, };"
                ),
                (
                    "Inventory",
                    "export type Inventory = { shovel: number, excavator: number, };"
                ),
            ]
        );
    }

    #[test]
    fn tagged_enum_with_option_and_docs() {
        let ty = TsType::of::<Message>();
        assert_eq!(
            decls(&ty),
            [(
                "Message",
                "/**\n * A message of the chat.\n */\nexport type Message = { \"kind\": \"text\", \
                 body: string, sentAt: number, } | { \"kind\": \"image\", url: string, caption: \
                 string | null, } | { \"kind\": \"left\" };"
            )]
        );
    }

    #[test]
    fn wrappers_declare_what_they_contain() {
        let ty = TsType::of::<Option<Vec<Draft>>>();
        assert_eq!(ty.expression(), "Array<Draft> | null");
        assert_eq!(
            decls(&ty),
            [
                (
                    "Draft",
                    "export type Draft = { replyTo?: number | null, attachments: Array<File>, };"
                ),
                (
                    "File",
                    "export type File = { name: string, size: number, };"
                ),
            ]
        );
    }

    #[test]
    fn generic_struct_is_declared_once_with_its_parameter() {
        let a = TsType::of::<Page<Purchase>>();
        let b = TsType::of::<Page<Inventory>>();
        assert_eq!(a.expression(), "Page<Purchase>");
        assert_eq!(b.expression(), "Page<Inventory>");
        let page = "export type Page<T> = { items: Array<T>, next: string | null, };";
        assert_eq!(decls(&a)[0], ("Page", page));
        assert_eq!(decls(&a)[1].0, "Purchase");
        assert_eq!(decls(&b)[1].0, "Page");
        let text = declarations(
            "/",
            &[event("a", vec![param("a", a)], None)],
            &[event("b", vec![param("b", b)], None)],
        );
        assert_eq!(text.matches("export type Page<T>").count(), 1);
    }

    #[test]
    fn clicker() {
        let client_to_server = [
            event(
                "register",
                vec![param("username", TsType::of::<String>())],
                None,
            ),
            event("clickGold", vec![], None),
            event(
                "buy",
                vec![param("item", TsType::of::<Equipment>())],
                Some(TsType::of::<Purchase>()),
            ),
        ];
        let server_to_client = [
            event(
                "goldClicked",
                vec![param("message", TsType::of::<String>())],
                None,
            ),
            event(
                "gameState",
                vec![param("state", TsType::of::<GameState>())],
                None,
            ),
            event(
                "refused",
                vec![param("reason", TsType::of::<String>())],
                None,
            ),
        ];
        assert_eq!(
            declarations("/", &client_to_server, &server_to_client),
            CLICKER_D_TS
        );
    }

    /// What `tests/ts/generated/clicker.d.ts` holds.
    const CLICKER_D_TS: &str = r#"// Generated by ferrio from the schema of namespace "/". Do not edit: regenerate with FERRIO_BLESS=1 cargo test -p ferrio-tests --test typescript.

export type Equipment = "shovel" | "excavator";

export type GameState = { username: string, gold: number, equipment: Inventory, goldPerSecond: number, };

export type Inventory = { shovel: number, excavator: number, };

export type Purchase = { bought: boolean, gold: number, };

export interface ClientToServerEvents {
  buy: (item: Equipment, callback: (ack: Purchase) => void) => void;
  clickGold: () => void;
  register: (username: string) => void;
}

export interface ServerToClientEvents {
  gameState: (state: GameState) => void;
  goldClicked: (message: string) => void;
  refused: (reason: string) => void;
}
"#;

    #[test]
    fn names_params_optionals_and_acks() {
        let text = declarations(
            "/chat \"main\"",
            &[
                event(
                    "my event",
                    vec![
                        param("r#type", TsType::of::<String>()),
                        param("new", TsType::of::<u64>()),
                        optional("note", TsType::of::<Option<String>>()),
                        optional("count", TsType::of::<u32>()),
                    ],
                    None,
                ),
                event(
                    "send",
                    vec![
                        param("callback", TsType::of::<Draft>()),
                        optional("silent", TsType::of::<Option<bool>>()),
                    ],
                    Some(TsType::of::<Option<Message>>()),
                ),
                event(
                    "middle",
                    vec![
                        optional("first", TsType::of::<Option<u8>>()),
                        param("second", TsType::of::<bool>()),
                        optional("third", TsType::of::<Option<u8>>()),
                    ],
                    None,
                ),
                event("$ok_name", vec![], Some(TsType::of::<()>())),
                event("delete", vec![param("", TsType::of::<bool>())], None),
                event("née\n", vec![], None),
            ],
            &[event("ping", vec![], Some(TsType::of::<u64>()))],
        );
        let expected = r#"// Generated by ferrio from the schema of namespace "/chat \"main\"". Do not edit: regenerate with FERRIO_BLESS=1 cargo test -p ferrio-tests --test typescript.

export type Draft = { replyTo?: number | null, attachments: Array<File>, };

export type File = { name: string, size: number, };

/**
 * A message of the chat.
 */
export type Message = { "kind": "text", body: string, sentAt: number, } | { "kind": "image", url: string, caption: string | null, } | { "kind": "left" };

export interface ClientToServerEvents {
  $ok_name: (callback: (ack: null) => void) => void;
  delete: (arg0: boolean) => void;
  middle: (first: number | null, second: boolean, third?: number | null) => void;
  "my event": (type: string, new_: number, note?: string | null, count?: number | null) => void;
  "née\n": () => void;
  send: (callback: Draft, silent: boolean | null, callback_: (ack: Message | null) => void) => void;
}

export interface ServerToClientEvents {
  ping: (callback: (ack: number) => void) => void;
}
"#;
        assert_eq!(text, expected);
    }

    #[test]
    fn empty_schema() {
        assert_eq!(
            declarations("/empty", &[], &[]),
            "// Generated by ferrio from the schema of namespace \"/empty\". Do not edit: \
             regenerate with FERRIO_BLESS=1 cargo test -p ferrio-tests --test typescript.\n\n\
             export interface ClientToServerEvents {}\n\n\
             export interface ServerToClientEvents {}\n"
        );
    }

    #[test]
    #[should_panic(expected = "two different types are both named `Inventory`")]
    fn two_types_with_one_name_panic() {
        let _ = declarations(
            "/",
            &[event(
                "a",
                vec![param("a", TsType::of::<Inventory>())],
                None,
            )],
            &[event(
                "b",
                vec![param("b", TsType::of::<other::Inventory>())],
                None,
            )],
        );
    }

    #[test]
    fn deterministic() {
        let make = || {
            declarations(
                "/",
                &[event("x", vec![param("m", TsType::of::<Message>())], None)],
                &[event(
                    "y",
                    vec![param("s", TsType::of::<GameState>())],
                    None,
                )],
            )
        };
        assert_eq!(make(), make());
        assert_eq!(TsType::of::<GameState>(), TsType::of::<GameState>());
    }
}
