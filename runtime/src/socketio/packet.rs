//! Socket.IO v5 packets: decoding client messages, encoding server messages.
//!
//! Text format: `<type>[<#attachments>-][<namespace>,][<ack id>][JSON data]`, the namespace being
//! omitted when it is `/`. Encoded texts carry the leading Engine.IO `message` type `4`, so the
//! transport can send them as they are; decoded texts come without it.

use std::fmt;
use std::marker::PhantomData;

use bytes::{Buf as _, Bytes};
use serde::Serialize;
use serde::de::{self, Deserialize, Deserializer, SeqAccess, Visitor};
use serde_json::{Map, Value};
use tokio_tungstenite::tungstenite::Utf8Bytes;

pub(crate) use super::args::Args;
use super::binary::{placeholder_index, write_arg_array};

const CONNECT: u8 = b'0';
const DISCONNECT: u8 = b'1';
const EVENT: u8 = b'2';
const ACK: u8 = b'3';
const CONNECT_ERROR: u8 = b'4';
const BINARY_EVENT: u8 = b'5';
const BINARY_ACK: u8 = b'6';

/// The Engine.IO `message` packet type, leading every encoded text.
const MESSAGE: u8 = b'4';
/// The main namespace, omitted on the wire.
const ROOT: &str = "/";
/// Room for the header's lead: `4`, the packet type, up to 20 digits of attachment count, `-`.
const LEAD_MAX: usize = 23;
/// Initial room for a packet body whose size is unknown.
const BODY_HINT: usize = 64;

/// A packet decoded from a client.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Packet {
    /// The namespace, `/` when the packet named none.
    pub(crate) namespace: String,
    /// What the packet carries.
    pub(crate) body: Body,
}

/// The content of a client packet.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Body {
    /// CONNECT with the optional auth payload (always a JSON object when present).
    Connect(Option<Value>),
    /// DISCONNECT from the namespace.
    Disconnect,
    /// EVENT / BINARY_EVENT: the event name, its arguments and the ack id it asks for.
    Event {
        name: String,
        args: Args,
        id: Option<u64>,
    },
    /// ACK / BINARY_ACK of the server's event with the ack id `id`.
    Ack { id: u64, args: Args },
}

impl Body {
    /// The arguments of an event or ack.
    fn args_mut(&mut self) -> Option<&mut Args> {
        match self {
            Self::Event { args, .. } | Self::Ack { args, .. } => Some(args),
            Self::Connect(_) | Self::Disconnect => None,
        }
    }
}

/// The result of decoding one text message.
#[derive(Debug)]
pub(crate) enum Decoded {
    /// A packet ready for use.
    Complete(Packet),
    /// A binary packet waiting for its attachments.
    Partial(PartialPacket),
}

/// A binary packet whose attachments (the next binary messages) have not all arrived yet.
#[derive(Debug)]
pub(crate) struct PartialPacket {
    /// The packet, until it is handed out complete.
    packet: Option<Packet>,
    /// The number of attachments announced.
    expected: usize,
}

impl PartialPacket {
    /// Adds the next attachment; returns the packet once all announced attachments arrived.
    ///
    /// After it returned the packet, the partial packet is spent: it ignores (drops) further
    /// attachments and returns `None`.
    pub(crate) fn push(&mut self, attachment: Bytes) -> Option<Packet> {
        let args = self.packet.as_mut()?.body.args_mut()?;
        args.attachments.push(attachment);
        if args.attachments.len() < self.expected {
            return None;
        }
        self.packet.take()
    }
}

/// Why a client message is not a valid packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DecodeError(Reason);

/// The reasons a message fails to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reason {
    Empty,
    UnknownType,
    ConnectError,
    MissingAttachmentCount,
    UnexpectedAttachmentCount,
    ZeroAttachments,
    TooManyAttachments,
    AckIdOverflow,
    UnexpectedAckId,
    MissingAckId,
    MissingData,
    UnexpectedData,
    Json,
    ConnectData,
    EventData,
    AckData,
    Placeholder,
}

impl Reason {
    fn as_str(self) -> &'static str {
        match self {
            Self::Empty => "empty message",
            Self::UnknownType => "unknown packet type",
            Self::ConnectError => "CONNECT_ERROR is not accepted from clients",
            Self::MissingAttachmentCount => "binary packet without attachment count",
            Self::UnexpectedAttachmentCount => "attachment count on a non-binary packet",
            Self::ZeroAttachments => "binary packet announcing no attachment",
            Self::TooManyAttachments => "too many attachments",
            Self::AckIdOverflow => "ack id out of range",
            Self::UnexpectedAckId => "ack id on a CONNECT or DISCONNECT packet",
            Self::MissingAckId => "ACK without ack id",
            Self::MissingData => "missing payload",
            Self::UnexpectedData => "DISCONNECT with a payload",
            Self::Json => "malformed JSON payload",
            Self::ConnectData => "CONNECT payload is not an object",
            Self::EventData => "EVENT payload is not an array starting with the event name",
            Self::AckData => "ACK payload is not an array",
            Self::Placeholder => "invalid attachment placeholder",
        }
    }
}

impl From<Reason> for DecodeError {
    fn from(reason: Reason) -> Self {
        Self(reason)
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid packet: {}", self.0.as_str())
    }
}

impl std::error::Error for DecodeError {}

/// Decodes a text message (without the Engine.IO prefix).
///
/// Binary packets (which must announce 1 to `max_attachments` attachments) come back
/// [`Decoded::Partial`]. A namespace not followed by `,` runs to the end of the message, so
/// `1/chat` is a DISCONNECT from `/chat` but `2/chat["ev"]` is an EVENT without payload (an error).
pub(crate) fn decode(text: &str, max_attachments: usize) -> Result<Decoded, DecodeError> {
    let ty = *text.as_bytes().first().ok_or(Reason::Empty)?;
    let binary = match ty {
        CONNECT | DISCONNECT | EVENT | ACK => false,
        BINARY_EVENT | BINARY_ACK => true,
        CONNECT_ERROR => return Err(Reason::ConnectError.into()),
        _ => return Err(Reason::UnknownType.into()),
    };
    // The type is an ASCII digit, so this is a char boundary.
    let rest = text.get(1..).ok_or(Reason::UnknownType)?;

    let (digits, after) = split_digits(rest);
    let (attachments, rest) = match after.strip_prefix('-') {
        Some(after) if !digits.is_empty() => {
            if !binary {
                return Err(Reason::UnexpectedAttachmentCount.into());
            }
            let count = digits
                .parse::<usize>()
                .map_err(|_| Reason::TooManyAttachments)?;
            if count == 0 {
                return Err(Reason::ZeroAttachments.into());
            }
            if count > max_attachments {
                return Err(Reason::TooManyAttachments.into());
            }
            (count, after)
        }
        _ if binary => return Err(Reason::MissingAttachmentCount.into()),
        _ => (0, rest),
    };

    // The namespace ends at the first `,`, or with the message (e.g. `1/chat`).
    let (namespace, rest) = if rest.starts_with('/') {
        rest.split_once(',').unwrap_or((rest, ""))
    } else {
        (ROOT, rest)
    };

    let (digits, data) = split_digits(rest);
    let id = if digits.is_empty() {
        None
    } else {
        Some(digits.parse::<u64>().map_err(|_| Reason::AckIdOverflow)?)
    };
    let data = (!data.is_empty()).then_some(data);

    let body = match ty {
        CONNECT | DISCONNECT if id.is_some() => return Err(Reason::UnexpectedAckId.into()),
        CONNECT => Body::Connect(data.map(parse_connect).transpose()?),
        DISCONNECT if data.is_some() => return Err(Reason::UnexpectedData.into()),
        DISCONNECT => Body::Disconnect,
        EVENT | BINARY_EVENT => {
            let (name, args) = event_args(data, attachments)?;
            Body::Event { name, args, id }
        }
        // ACK | BINARY_ACK
        _ => {
            let id = id.ok_or(Reason::MissingAckId)?;
            let args = if attachments == 0 {
                Args::raw(parse(data, Reason::AckData)?)
            } else {
                received_args(parse(data, Reason::AckData)?, attachments)?
            };
            Body::Ack { id, args }
        }
    };
    let packet = Packet {
        namespace: namespace.to_owned(),
        body,
    };
    Ok(if attachments == 0 {
        Decoded::Complete(packet)
    } else {
        Decoded::Partial(PartialPacket {
            packet: Some(packet),
            expected: attachments,
        })
    })
}

/// Splits a leading run of ASCII digits off `s`.
fn split_digits(s: &str) -> (&str, &str) {
    let end = s
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(s.len());
    // `end` is the length or the index of a byte following ASCII digits: a char boundary.
    s.split_at_checked(end).unwrap_or((s, ""))
}

/// Parses a required JSON payload; `shape` is the error for well-formed JSON of the wrong shape.
fn parse<'de, T: Deserialize<'de>>(data: Option<&'de str>, shape: Reason) -> Result<T, Reason> {
    let data = data.ok_or(Reason::MissingData)?;
    serde_json::from_str(data).map_err(|e| if e.is_data() { shape } else { Reason::Json })
}

/// Parses the auth payload of a CONNECT packet.
fn parse_connect(data: &str) -> Result<Value, Reason> {
    parse::<Map<String, Value>>(Some(data), Reason::ConnectData).map(Value::Object)
}

/// The name and arguments of an EVENT: as received JSON text, or parsed for a binary packet.
fn event_args(data: Option<&str>, attachments: usize) -> Result<(String, Args), Reason> {
    if attachments == 0 {
        let EventData { name, args } = parse(data, Reason::EventData)?;
        return Ok((name, Args::raw(args)));
    }
    let EventData { name, args } = parse(data, Reason::EventData)?;
    Ok((name, received_args(args, attachments)?))
}

/// Builds the arguments of a binary packet announcing `attachments` attachments, checking
/// that every placeholder refers to one of them.
fn received_args(values: Vec<Value>, attachments: usize) -> Result<Args, Reason> {
    if !values.iter().all(|v| placeholders_below(v, attachments)) {
        return Err(Reason::Placeholder);
    }
    Ok(Args::new(values, Vec::with_capacity(attachments)))
}

/// Whether every object claiming to be a placeholder in `value` is one, numbered below `count`.
fn placeholders_below(value: &Value, count: usize) -> bool {
    match value {
        Value::Array(items) => items.iter().all(|v| placeholders_below(v, count)),
        Value::Object(map) if map.get("_placeholder") == Some(&Value::Bool(true)) => {
            placeholder_index(value).is_some_and(|num| num < count)
        }
        Value::Object(map) => map.values().all(|v| placeholders_below(v, count)),
        _ => true,
    }
}

/// The payload of an EVENT: the event name, then the arguments.
struct EventData<T> {
    name: String,
    args: Vec<T>,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for EventData<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(EventDataVisitor(PhantomData))
    }
}

/// Visits the array of an EVENT payload.
struct EventDataVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for EventDataVisitor<T> {
    type Value = EventData<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array starting with the event name")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<EventData<T>, A::Error> {
        let name = seq
            .next_element::<String>()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let mut args = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(arg) = seq.next_element()? {
            args.push(arg);
        }
        Ok(EventData { name, args })
    }
}

/// A packet encoded for the wire: the text message (with the leading Engine.IO `4`) and its
/// attachments, to be sent as binary messages right after it.
#[derive(Debug, Clone)]
pub(crate) struct Encoded {
    pub(crate) text: Utf8Bytes,
    pub(crate) attachments: Vec<Bytes>,
}

/// Encodes an EVENT (a BINARY_EVENT when `args` holds binary data).
///
/// `args` is a tuple of arguments (fixed-size arrays count as tuples), `()` for none, or any
/// other value for a single argument; see the `binary` module.
pub(crate) fn encode_event<T: Serialize + ?Sized>(
    namespace: &str,
    event: &str,
    args: &T,
    id: Option<u64>,
) -> Result<Encoded, serde_json::Error> {
    encode_args(EVENT, namespace, id, Some(event), args)
}

/// Encodes an ACK (a BINARY_ACK when `args` holds binary data); `args` as in [`encode_event`].
pub(crate) fn encode_ack<T: Serialize + ?Sized>(
    namespace: &str,
    id: u64,
    args: &T,
) -> Result<Encoded, serde_json::Error> {
    encode_args(ACK, namespace, Some(id), None, args)
}

/// Encodes the CONNECT reply: `40{"sid":"..."}` or `40/chat,{"sid":"..."}`, with the private
/// id of connection state recovery when there is one (`{"sid":"...","pid":"..."}`).
pub(crate) fn encode_connect(namespace: &str, sid: &str, pid: Option<&str>) -> Encoded {
    let mut out = text_header(CONNECT, 0, namespace, None, sid.len() + 40);
    out.push_str("{\"sid\":");
    push_json_str(&mut out, sid);
    if let Some(pid) = pid {
        out.push_str(",\"pid\":");
        push_json_str(&mut out, pid);
    }
    out.push('}');
    text_only(out.into())
}

/// Encodes a CONNECT_ERROR with its payload (e.g. `{"message":"Not authorized"}`).
pub(crate) fn encode_connect_error<T: Serialize + ?Sized>(
    namespace: &str,
    data: &T,
) -> Result<Encoded, serde_json::Error> {
    let mut buf = start_buffer(namespace, None, BODY_HINT);
    serde_json::to_writer(&mut buf, data)?;
    finish(buf, CONNECT_ERROR, 0).map(text_only)
}

/// Encodes a DISCONNECT: `41` or `41/chat,`.
pub(crate) fn encode_disconnect(namespace: &str) -> Encoded {
    text_only(text_header(DISCONNECT, 0, namespace, None, 0).into())
}

/// The CONNECT reply of protocol revision 4 (the socket.io client 2.x), which carries no
/// payload: `40` or `40/chat,`.
pub(crate) fn encode_connect_v4(namespace: &str) -> Encoded {
    text_only(text_header(CONNECT, 0, namespace, None, 0).into())
}

/// An encoded packet without attachments.
fn text_only(text: Utf8Bytes) -> Encoded {
    Encoded {
        text,
        attachments: Vec::new(),
    }
}

/// Encodes an event (with `event`) or an ack (without) from serializable arguments.
fn encode_args<T: Serialize + ?Sized>(
    ty: u8,
    namespace: &str,
    id: Option<u64>,
    event: Option<&str>,
    args: &T,
) -> Result<Encoded, serde_json::Error> {
    let buf = start_buffer(namespace, id, event.map_or(0, str::len) + BODY_HINT);
    let (buf, attachments) = write_arg_array(buf, event, args)?;
    let ty = binary_type(ty, &attachments);
    let text = finish(buf, ty, attachments.len())?;
    Ok(Encoded { text, attachments })
}

/// The binary variant of an EVENT / ACK packet type when there are attachments.
fn binary_type(ty: u8, attachments: &[Bytes]) -> u8 {
    match ty {
        EVENT if !attachments.is_empty() => BINARY_EVENT,
        ACK if !attachments.is_empty() => BINARY_ACK,
        _ => ty,
    }
}

/// Starts a buffer whose body size is not known yet: [`LEAD_MAX`] bytes of room for the
/// header's lead (written by [`finish`]), then the namespace and ack id.
fn start_buffer(namespace: &str, id: Option<u64>, body_hint: usize) -> Vec<u8> {
    let mut buf = Vec::with_capacity(LEAD_MAX + namespace.len() + 21 + body_hint);
    buf.resize(LEAD_MAX, 0);
    write_route(&mut buf, namespace, id);
    buf
}

/// Completes a buffer from [`start_buffer`]: writes the lead right before the namespace and
/// turns the buffer into the message text, without copying it.
fn finish(mut buf: Vec<u8>, ty: u8, attachments: usize) -> Result<Utf8Bytes, serde_json::Error> {
    let mut start = LEAD_MAX;
    let mut prepend = |bytes: &[u8]| {
        let end = start;
        start -= bytes.len();
        buf[start..end].copy_from_slice(bytes);
    };
    if attachments > 0 {
        prepend(b"-");
        prepend(Digits::new(attachments as u64).as_bytes());
    }
    prepend(&[MESSAGE, ty]);
    let mut bytes = Bytes::from(buf);
    bytes.advance(start);
    Utf8Bytes::try_from(bytes).map_err(serde::ser::Error::custom)
}

/// Starts a message whose header is fully known: `4`, type, attachment count, namespace, ack id.
fn text_header(
    ty: u8,
    attachments: usize,
    namespace: &str,
    id: Option<u64>,
    body_hint: usize,
) -> String {
    let mut out = String::with_capacity(LEAD_MAX + namespace.len() + 21 + body_hint);
    out.put_ascii(&[MESSAGE, ty]);
    if attachments > 0 {
        out.put_ascii(Digits::new(attachments as u64).as_bytes());
        out.push('-');
    }
    write_route(&mut out, namespace, id);
    out
}

/// Writes the `<namespace>,` (unless it is the main namespace) and `<ack id>` header parts.
fn write_route(out: &mut impl Sink, namespace: &str, id: Option<u64>) {
    if !namespace.is_empty() && namespace != ROOT {
        out.put_str(namespace);
        out.put_ascii(b",");
    }
    if let Some(id) = id {
        out.put_ascii(Digits::new(id).as_bytes());
    }
}

/// A buffer header parts are written to.
trait Sink {
    fn put_str(&mut self, s: &str);
    /// Writes ASCII bytes.
    fn put_ascii(&mut self, ascii: &[u8]);
}

impl Sink for Vec<u8> {
    fn put_str(&mut self, s: &str) {
        self.extend_from_slice(s.as_bytes());
    }

    fn put_ascii(&mut self, ascii: &[u8]) {
        self.extend_from_slice(ascii);
    }
}

impl Sink for String {
    fn put_str(&mut self, s: &str) {
        self.push_str(s);
    }

    fn put_ascii(&mut self, ascii: &[u8]) {
        self.extend(ascii.iter().copied().map(char::from));
    }
}

/// The decimal digits of a number, rendered on the stack.
struct Digits {
    buf: [u8; 20],
    start: usize,
}

impl Digits {
    fn new(mut n: u64) -> Self {
        let mut buf = [0; 20];
        let mut start = buf.len();
        loop {
            start -= 1;
            buf[start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        Self { buf, start }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.buf[self.start..]
    }
}

/// Appends `s` as a JSON string literal, escaped the way `serde_json` does.
fn push_json_str(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut rest = s;
    while let Some(i) = rest.find(|c: char| c == '"' || c == '\\' || c < ' ') {
        let (plain, escaped) = rest.split_at(i);
        out.push_str(plain);
        let mut chars = escaped.chars();
        match chars.next() {
            Some('"') => out.push_str("\\\""),
            Some('\\') => out.push_str("\\\\"),
            Some('\n') => out.push_str("\\n"),
            Some('\r') => out.push_str("\\r"),
            Some('\t') => out.push_str("\\t"),
            Some('\u{8}') => out.push_str("\\b"),
            Some('\u{c}') => out.push_str("\\f"),
            Some(c) => {
                let c = c as usize;
                out.push_str("\\u00");
                out.put_ascii(&[HEX[(c >> 4) & 0xf], HEX[c & 0xf]]);
            }
            None => {}
        }
        rest = chars.as_str();
    }
    out.push_str(rest);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use serde::Serialize;
    use serde_json::{Value, json};

    use super::*;

    const MAX: usize = 10;

    fn ph(num: usize) -> String {
        format!(r#"{{"_placeholder":true,"num":{num}}}"#)
    }

    fn ok(result: Result<Encoded, serde_json::Error>) -> Encoded {
        match result {
            Ok(encoded) => encoded,
            Err(e) => panic!("encoding failed: {e}"),
        }
    }

    fn expect_complete(text: &str) -> Packet {
        match decode(text, MAX) {
            Ok(Decoded::Complete(packet)) => packet,
            other => panic!("{text}: expected a complete packet, got {other:?}"),
        }
    }

    fn expect_partial(text: &str) -> PartialPacket {
        match decode(text, MAX) {
            Ok(Decoded::Partial(partial)) => partial,
            other => panic!("{text}: expected a partial packet, got {other:?}"),
        }
    }

    fn error(text: &str, max_attachments: usize) -> Reason {
        match decode(text, max_attachments) {
            Err(DecodeError(reason)) => reason,
            Ok(decoded) => panic!("{text}: expected an error, got {decoded:?}"),
        }
    }

    fn packet(namespace: &str, body: Body) -> Packet {
        Packet {
            namespace: namespace.to_owned(),
            body,
        }
    }

    fn args(values: Vec<Value>) -> Args {
        Args::new(values, Vec::new())
    }

    // ---- encoding ----

    #[test]
    fn encode_event_plain() {
        let e = ok(encode_event("/", "hello", &1, None));
        assert_eq!(e.text, r#"42["hello",1]"#);
        assert!(e.attachments.is_empty());
        let e = ok(encode_event("/chat", "hello", &1, Some(7)));
        assert_eq!(e.text, r#"42/chat,7["hello",1]"#);
        let e = ok(encode_event("/", "hello", &("a", 1), Some(0)));
        assert_eq!(e.text, r#"420["hello","a",1]"#);
        let e = ok(encode_event("/admin", "hello", &(), None));
        assert_eq!(e.text, r#"42/admin,["hello"]"#);
        let e = ok(encode_event("", "x", &vec![1, 2], Some(u64::MAX)));
        assert_eq!(e.text, r#"4218446744073709551615["x",[1,2]]"#);
        let e = ok(encode_event("/", "a\"b\n", &json!({"k": "v"}), None));
        assert_eq!(e.text, r#"42["a\"b\n",{"k":"v"}]"#);
    }

    #[test]
    fn encode_event_binary() {
        let blob = Bytes::from_static(&[1, 2, 3]);
        let e = ok(encode_event("/", "bin", &blob, None));
        assert_eq!(e.text, format!(r#"451-["bin",{}]"#, ph(0)));
        assert_eq!(e.attachments, std::slice::from_ref(&blob));

        let e = ok(encode_event("/chat", "bin", &("x", &blob, &blob), Some(3)));
        assert_eq!(
            e.text,
            format!(r#"452-/chat,3["bin","x",{},{}]"#, ph(0), ph(1))
        );
        assert_eq!(e.attachments.len(), 2);

        let many: Vec<Bytes> = (0..12u8).map(|i| Bytes::from(vec![i])).collect();
        let e = ok(encode_event("/", "many", &many, Some(42)));
        assert!(e.text.starts_with(r#"4512-42["many",["#), "{}", e.text);
        assert_eq!(e.attachments, many);
    }

    #[test]
    fn encode_ack_plain_and_binary() {
        let e = ok(encode_ack("/", 12, &()));
        assert_eq!(e.text, "4312[]");
        let e = ok(encode_ack("/admin", 13, &"bar"));
        assert_eq!(e.text, r#"43/admin,13["bar"]"#);
        let e = ok(encode_ack("/", 0, &(1, 2)));
        assert_eq!(e.text, "430[1,2]");
        let e = ok(encode_ack("/", 15, &("bar", Bytes::from_static(b"b"))));
        assert_eq!(e.text, format!(r#"461-15["bar",{}]"#, ph(0)));
        assert_eq!(e.attachments, [Bytes::from_static(b"b")]);
        let e = ok(encode_ack("/x", 1, &Bytes::new()));
        assert_eq!(e.text, format!(r#"461-/x,1[{}]"#, ph(0)));
    }

    #[test]
    fn encode_errors_propagate() {
        let map = std::collections::HashMap::from([((1, 2), 3)]);
        assert!(encode_event("/", "ev", &map, None).is_err());
        assert!(encode_ack("/", 1, &map).is_err());
        assert!(encode_connect_error("/", &map).is_err());
    }

    #[test]
    fn encode_connect_replies() {
        let e = encode_connect("/", "wZX3oN0bSVIhsaknAAAI", None);
        assert_eq!(e.text, r#"40{"sid":"wZX3oN0bSVIhsaknAAAI"}"#);
        assert!(e.attachments.is_empty());
        let e = encode_connect("/admin", "abc", None);
        assert_eq!(e.text, r#"40/admin,{"sid":"abc"}"#);
        let e = encode_connect("/", "a\"\\\u{0}", None);
        assert_eq!(e.text, r#"40{"sid":"a\"\\\u0000"}"#);
        let e = encode_connect("/chat", "abc", Some("xyz"));
        assert_eq!(e.text, r#"40/chat,{"sid":"abc","pid":"xyz"}"#);
    }

    #[test]
    fn encode_connect_errors() {
        #[derive(Serialize)]
        struct Error<'a> {
            message: &'a str,
        }
        let data = Error {
            message: "Not authorized",
        };
        let e = ok(encode_connect_error("/", &data));
        assert_eq!(e.text, r#"44{"message":"Not authorized"}"#);
        let e = ok(encode_connect_error(
            "/admin",
            &json!({"data": [1], "message": "no"}),
        ));
        assert_eq!(e.text, r#"44/admin,{"data":[1],"message":"no"}"#);
        assert!(e.attachments.is_empty());
    }

    #[test]
    fn encode_connect_replies_of_revision_4() {
        assert_eq!(encode_connect_v4("/").text, "40");
        assert_eq!(encode_connect_v4("/chat").text, "40/chat,");
    }

    #[test]
    fn encode_disconnects() {
        assert_eq!(encode_disconnect("/").text, "41");
        assert_eq!(encode_disconnect("/chat").text, "41/chat,");
        assert!(encode_disconnect("/chat").attachments.is_empty());
    }

    #[test]
    fn connect_sid_is_escaped_as_json() {
        for text in [
            "",
            "plain",
            "é ü 日本",
            "q\"b\\s/\u{1}\u{1f}\u{7f}\t\r\n\u{8}\u{c}",
            "\u{2028}",
        ] {
            let sid = encode_connect("/", text, None);
            let expected = ok(encode_connect_error("/", &json!({ "sid": text })));
            assert_eq!(&sid.text[2..], &expected.text[2..]);
        }
    }

    #[test]
    fn encode_then_decode_round_trips() {
        let blob = Bytes::from_static(b"\xff\x00");
        let e = ok(encode_event("/chat", "ev", &("a", &blob), Some(5)));
        let text = e.text.strip_prefix('4').unwrap_or_default();
        let mut partial = expect_partial(text);
        let mut decoded = None;
        for attachment in e.attachments {
            decoded = partial.push(attachment);
        }
        assert_eq!(
            decoded,
            Some(packet(
                "/chat",
                Body::Event {
                    name: "ev".into(),
                    args: Args::new(
                        vec![json!("a"), json!({"_placeholder": true, "num": 0})],
                        vec![blob]
                    ),
                    id: Some(5),
                }
            ))
        );
    }

    // ---- decoding ----

    #[test]
    fn decode_connect() {
        assert_eq!(expect_complete("0"), packet("/", Body::Connect(None)));
        assert_eq!(
            expect_complete("0/admin,"),
            packet("/admin", Body::Connect(None))
        );
        assert_eq!(
            expect_complete("0/admin"),
            packet("/admin", Body::Connect(None))
        );
        assert_eq!(
            expect_complete(r#"0/admin,{"token":"x"}"#),
            packet("/admin", Body::Connect(Some(json!({"token": "x"}))))
        );
        assert_eq!(
            expect_complete(r#"0{"token":"x","n":[1]}"#),
            packet("/", Body::Connect(Some(json!({"token": "x", "n": [1]}))))
        );
        assert_eq!(
            expect_complete("0{}"),
            packet("/", Body::Connect(Some(json!({}))))
        );
    }

    #[test]
    fn decode_disconnect() {
        assert_eq!(expect_complete("1"), packet("/", Body::Disconnect));
        assert_eq!(expect_complete("1/chat"), packet("/chat", Body::Disconnect));
        assert_eq!(
            expect_complete("1/chat,"),
            packet("/chat", Body::Disconnect)
        );
    }

    #[test]
    fn decode_event() {
        assert_eq!(
            expect_complete(r#"2["hello",1]"#),
            packet(
                "/",
                Body::Event {
                    name: "hello".into(),
                    args: args(vec![json!(1)]),
                    id: None
                }
            )
        );
        assert_eq!(
            expect_complete(r#"2/chat,12["ev",{"a":1}]"#),
            packet(
                "/chat",
                Body::Event {
                    name: "ev".into(),
                    args: args(vec![json!({"a": 1})]),
                    id: Some(12)
                }
            )
        );
        assert_eq!(
            expect_complete(r#"212["foo"]"#),
            packet(
                "/",
                Body::Event {
                    name: "foo".into(),
                    args: Args::default(),
                    id: Some(12)
                }
            )
        );
        assert_eq!(
            expect_complete(r#"2/é,["ü",null,[],"x"]"#),
            packet(
                "/é",
                Body::Event {
                    name: "ü".into(),
                    args: args(vec![json!(null), json!([]), json!("x")]),
                    id: None
                }
            )
        );
        // Whitespace around the JSON is JSON.
        assert!(matches!(
            expect_complete("2[ \"a\" ] ").body,
            Body::Event { ref name, .. } if name == "a"
        ));
    }

    #[test]
    fn decode_event_leaves_placeholder_lookalikes_in_plain_events() {
        let text = format!(r#"2["ev",{},{{"_placeholder":true,"num":"x"}}]"#, ph(5));
        let Body::Event { args, .. } = expect_complete(&text).body else {
            panic!("expected an event");
        };
        assert_eq!(
            args.values(),
            [
                json!({"_placeholder": true, "num": 5}),
                json!({"_placeholder": true, "num": "x"})
            ]
        );
        assert!(args.attachments.is_empty());
    }

    #[test]
    fn decode_ack() {
        assert_eq!(
            expect_complete("312[]"),
            packet(
                "/",
                Body::Ack {
                    id: 12,
                    args: Args::default()
                }
            )
        );
        assert_eq!(
            expect_complete(r#"3/admin,13["bar",2]"#),
            packet(
                "/admin",
                Body::Ack {
                    id: 13,
                    args: args(vec![json!("bar"), json!(2)])
                }
            )
        );
        assert_eq!(
            expect_complete("30[0]"),
            packet(
                "/",
                Body::Ack {
                    id: 0,
                    args: args(vec![json!(0)])
                }
            )
        );
    }

    #[test]
    fn decode_big_numbers() {
        assert_eq!(
            expect_complete("318446744073709551615[]"),
            packet(
                "/",
                Body::Ack {
                    id: u64::MAX,
                    args: Args::default()
                }
            )
        );
        let Body::Event { args, id, .. } =
            expect_complete(r#"2007["ev",18446744073709551615,-9223372036854775808,123456789012345678901234567890]"#)
                .body
        else {
            panic!("expected an event");
        };
        assert_eq!(id, Some(7));
        assert_eq!(args.values()[0], json!(u64::MAX));
        assert_eq!(args.values()[1], json!(i64::MIN));
        assert!(args.values()[2].is_f64());
    }

    #[test]
    fn decode_binary_event() {
        let text = format!(r#"51-["ev",{}]"#, ph(0));
        let mut partial = expect_partial(&text);
        let packet = partial.push(Bytes::from_static(b"\x01\x02"));
        assert_eq!(
            packet,
            Some(super::Packet {
                namespace: "/".into(),
                body: Body::Event {
                    name: "ev".into(),
                    args: Args::new(
                        vec![json!({"_placeholder": true, "num": 0})],
                        vec![Bytes::from_static(b"\x01\x02")]
                    ),
                    id: None,
                },
            })
        );
        // Spent: further attachments are ignored.
        assert_eq!(partial.push(Bytes::new()), None);
    }

    #[test]
    fn decode_binary_event_with_nested_placeholders() {
        let text = format!(
            r#"53-/chat,14["ev",{{"a":[{}, {{"b":{}}}]}},{},"x"]"#,
            ph(2),
            ph(0),
            ph(1)
        );
        let mut partial = expect_partial(&text);
        assert_eq!(partial.push(Bytes::from_static(b"0")), None);
        assert_eq!(partial.push(Bytes::from_static(b"1")), None);
        let Some(packet) = partial.push(Bytes::from_static(b"2")) else {
            panic!("expected the packet");
        };
        assert_eq!(packet.namespace, "/chat");
        let Body::Event { name, args, id } = packet.body else {
            panic!("expected an event");
        };
        assert_eq!((name.as_str(), id), ("ev", Some(14)));
        assert_eq!(args.values().len(), 3);
        assert_eq!(args.attachments, [&b"0"[..], b"1", b"2"]);
    }

    #[test]
    fn decode_binary_ack() {
        let text = format!(r#"61-15["bar",{}]"#, ph(0));
        let mut partial = expect_partial(&text);
        assert_eq!(
            partial.push(Bytes::from_static(b"b")),
            Some(packet(
                "/",
                Body::Ack {
                    id: 15,
                    args: Args::new(
                        vec![json!("bar"), json!({"_placeholder": true, "num": 0})],
                        vec![Bytes::from_static(b"b")]
                    )
                }
            ))
        );
        let mut two = expect_partial(&format!(r#"62-/x,1[{}]"#, ph(1)));
        assert_eq!(two.push(Bytes::new()), None);
        assert!(two.push(Bytes::new()).is_some());
    }

    #[test]
    fn decode_binary_without_referenced_placeholders() {
        // Announced attachments need not all be referenced; they are still awaited.
        let mut partial = expect_partial(r#"52-["ev"]"#);
        assert_eq!(partial.push(Bytes::new()), None);
        assert!(partial.push(Bytes::new()).is_some());
    }

    #[test]
    fn decode_attachment_count_limit() {
        let text = format!(r#"52-["ev",{},{}]"#, ph(0), ph(1));
        assert!(matches!(decode(&text, 2), Ok(Decoded::Partial(_))));
        assert_eq!(error(&text, 1), Reason::TooManyAttachments);
        assert_eq!(error(&text, 0), Reason::TooManyAttachments);
        assert_eq!(
            error(r#"599999999999999999999999-["ev"]"#, usize::MAX),
            Reason::TooManyAttachments
        );
    }

    #[test]
    fn a_number_beyond_f64_is_valid_json_that_no_handler_type_reads() {
        let decoded = decode(r#"2["ev",1e400]"#, 10);
        let Ok(Decoded::Complete(Packet {
            body: Body::Event { args, .. },
            ..
        })) = decoded
        else {
            panic!("expected an event, got {decoded:?}");
        };
        let payload = crate::Payload::new(args);
        assert!(payload.arg::<f64>(0).is_err());
        assert!(payload.arg::<serde_json::Value>(0).is_err());
    }

    #[test]
    fn decode_malformed() {
        let p0 = ph(0);
        let cases: &[(&str, Reason)] = &[
            ("", Reason::Empty),
            ("9", Reason::UnknownType),
            ("7[\"a\"]", Reason::UnknownType),
            ("a", Reason::UnknownType),
            ("é", Reason::UnknownType),
            (" 2[\"a\"]", Reason::UnknownType),
            (r#"4{"message":"x"}"#, Reason::ConnectError),
            (r#"42["ev"]"#, Reason::ConnectError),
            ("2", Reason::MissingData),
            ("2[", Reason::Json),
            ("2[\"a\"", Reason::Json),
            ("2{", Reason::EventData),
            (r#"2["ev",1e]"#, Reason::Json),
            ("2x", Reason::Json),
            (r#"2"str""#, Reason::EventData),
            ("2[]", Reason::EventData),
            ("2[1]", Reason::EventData),
            ("2[null,\"a\"]", Reason::EventData),
            ("2{\"a\":1}", Reason::EventData),
            ("2null", Reason::EventData),
            (r#"2["ev"]x"#, Reason::Json),
            (r#"2["ev"]]"#, Reason::Json),
            (r#"2["ev"],"#, Reason::Json),
            (r#"2/chat["ev"]"#, Reason::MissingData),
            (r#"2chat,["ev"]"#, Reason::Json),
            (r#"2999999999999999999999["ev"]"#, Reason::AckIdOverflow),
            (r#"218446744073709551616["ev"]"#, Reason::AckIdOverflow),
            (r#"21-["ev"]"#, Reason::UnexpectedAttachmentCount),
            (r#"01-{}"#, Reason::UnexpectedAttachmentCount),
            (r#"31-1[]"#, Reason::UnexpectedAttachmentCount),
            (r#"2-["ev"]"#, Reason::Json),
            ("3/x,", Reason::MissingAckId),
            ("3/x,[1]", Reason::MissingAckId),
            ("3[]", Reason::MissingAckId),
            ("3", Reason::MissingAckId),
            ("3/x,5", Reason::MissingData),
            ("35{}", Reason::AckData),
            ("35\"a\"", Reason::AckData),
            ("35[", Reason::Json),
            (r#"3999999999999999999999[]"#, Reason::AckIdOverflow),
            (r#"0/chat,"notobject""#, Reason::ConnectData),
            ("0[1]", Reason::ConnectData),
            ("0null", Reason::ConnectData),
            ("0{", Reason::Json),
            ("0{}{}", Reason::Json),
            ("0/chat,{}x", Reason::Json),
            ("07", Reason::UnexpectedAckId),
            ("0/chat,7{}", Reason::UnexpectedAckId),
            ("17", Reason::UnexpectedAckId),
            ("1/chat,{}", Reason::UnexpectedData),
            ("1[]", Reason::UnexpectedData),
            (r#"5["ev"]"#, Reason::MissingAttachmentCount),
            (r#"5-["ev"]"#, Reason::MissingAttachmentCount),
            (r#"5x-["ev"]"#, Reason::MissingAttachmentCount),
            (r#"51["ev"]"#, Reason::MissingAttachmentCount),
            (r#"6-1[]"#, Reason::MissingAttachmentCount),
            (r#"50-["ev"]"#, Reason::ZeroAttachments),
            (r#"600-1[]"#, Reason::ZeroAttachments),
            ("51-", Reason::MissingData),
            ("51-/chat,", Reason::MissingData),
            ("61-[]", Reason::MissingAckId),
            ("51-[]", Reason::EventData),
            ("51-[", Reason::Json),
        ];
        for &(text, reason) in cases {
            assert_eq!(error(text, MAX), reason, "{text}");
        }

        let placeholders = [
            format!(r#"51-["ev",{}]"#, ph(3)),
            format!(r#"51-["ev",{}]"#, ph(1)),
            format!(r#"52-["ev",[{{"a":{}}}]]"#, ph(2)),
            r#"51-["ev",{"_placeholder":true,"num":-1}]"#.to_owned(),
            r#"51-["ev",{"_placeholder":true,"num":"0"}]"#.to_owned(),
            r#"51-["ev",{"_placeholder":true}]"#.to_owned(),
            r#"51-["ev",{"_placeholder":true,"num":0,"x":1}]"#.to_owned(),
            format!(r#"61-1[{p0},{}]"#, ph(1)),
        ];
        for text in &placeholders {
            assert_eq!(error(text, MAX), Reason::Placeholder, "{text}");
        }
        // Lookalikes that do not claim to be placeholders are plain objects.
        assert!(matches!(
            decode(r#"51-["ev",{"_placeholder":false,"num":9}]"#, MAX),
            Ok(Decoded::Partial(_))
        ));
    }

    #[test]
    fn decode_error_display() {
        let Err(e) = decode("2[]", MAX) else {
            panic!("expected an error");
        };
        assert_eq!(
            e.to_string(),
            "invalid packet: EVENT payload is not an array starting with the event name"
        );
        let e: Box<dyn std::error::Error> = Box::new(e);
        assert!(e.to_string().starts_with("invalid packet: "));
    }

    #[test]
    fn digits() {
        for n in [0, 1, 9, 10, 99, 100, 12345, u64::MAX] {
            assert_eq!(Digits::new(n).as_bytes(), n.to_string().as_bytes());
        }
    }
}
