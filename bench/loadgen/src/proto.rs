//! Engine.IO v4 and Socket.IO v5 packets: what the load generator sends and how it reads what
//! the server sends back. Pure functions, no I/O.

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::Value;

/// Separates the packets of an HTTP long-polling payload.
pub const RECORD_SEPARATOR: char = '\x1e';

/// One Engine.IO message, the unit the transports carry: a Socket.IO packet's text, or one
/// of its binary attachments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message (Engine.IO type `4`), without its type digit.
    Text(String),
    /// A binary message, the bytes as they are.
    Binary(Bytes),
}

/// An Engine.IO text packet, borrowed from the frame or payload record it came in.
#[derive(Debug, PartialEq, Eq)]
pub enum EnginePacket<'a> {
    /// `0`: the handshake, with its JSON.
    Open(&'a str),
    /// `1`: the server closes the session.
    Close,
    /// `2`: a heartbeat the client must answer with a pong carrying the same data.
    Ping(&'a str),
    /// `3`: a heartbeat answer.
    Pong(&'a str),
    /// `4`: a message, without its type digit.
    Message(&'a str),
    /// `5`: transport upgrade.
    Upgrade,
    /// `6`: nothing (used to end a pending poll during an upgrade).
    Noop,
}

/// Decodes one Engine.IO text packet.
pub fn decode_engine(text: &str) -> Result<EnginePacket<'_>> {
    let mut chars = text.chars();
    let kind = chars
        .next()
        .ok_or_else(|| anyhow!("empty Engine.IO packet"))?;
    let rest = chars.as_str();
    Ok(match kind {
        '0' => EnginePacket::Open(rest),
        '1' => EnginePacket::Close,
        '2' => EnginePacket::Ping(rest),
        '3' => EnginePacket::Pong(rest),
        '4' => EnginePacket::Message(rest),
        '5' => EnginePacket::Upgrade,
        '6' => EnginePacket::Noop,
        _ => bail!("unknown Engine.IO packet type in {:?}", truncate(text)),
    })
}

/// The fields of the Engine.IO open packet the load generator uses.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Handshake {
    /// The session id.
    pub sid: String,
    /// How often the server pings, in milliseconds.
    pub ping_interval: u64,
    /// How long the server waits for a pong, in milliseconds.
    pub ping_timeout: u64,
    /// The largest payload the server accepts, in bytes.
    #[serde(default)]
    pub max_payload: u64,
}

/// Decodes the open packet (`0{...}`), the first thing a server sends.
pub fn decode_open(text: &str) -> Result<Handshake> {
    match decode_engine(text)? {
        EnginePacket::Open(json) => serde_json::from_str(json)
            .with_context(|| format!("bad Engine.IO open packet {:?}", truncate(text))),
        _ => bail!(
            "expected the Engine.IO open packet, got {:?}",
            truncate(text)
        ),
    }
}

/// Encodes messages as an HTTP long-polling payload: text messages as `4...`, binary ones as
/// `b` and their base64, separated by [`RECORD_SEPARATOR`].
pub fn encode_payload(messages: &[Message]) -> String {
    let mut body = String::new();
    for (i, message) in messages.iter().enumerate() {
        if i > 0 {
            body.push(RECORD_SEPARATOR);
        }
        match message {
            Message::Text(text) => {
                body.push('4');
                body.push_str(text);
            }
            Message::Binary(data) => {
                body.push('b');
                BASE64.encode_string(data, &mut body);
            }
        }
    }
    body
}

/// One record of a long-polling payload.
#[derive(Debug, PartialEq, Eq)]
pub enum Record<'a> {
    /// A text packet.
    Packet(EnginePacket<'a>),
    /// A binary message (decoded from `b<base64>`).
    Binary(Bytes),
}

/// Splits and decodes a long-polling payload.
pub fn decode_payload(body: &str) -> Result<Vec<Record<'_>>> {
    body.split(RECORD_SEPARATOR)
        .map(|record| match record.strip_prefix('b') {
            Some(b64) => BASE64
                .decode(b64)
                .map(|data| Record::Binary(Bytes::from(data)))
                .context("bad base64 in a polling payload"),
            None => decode_engine(record).map(Record::Packet),
        })
        .collect()
}

/// The Socket.IO packet types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SioKind {
    /// `0`: namespace connect (client) or its acceptance (server).
    Connect,
    /// `1`: namespace disconnect.
    Disconnect,
    /// `2`: an event.
    Event,
    /// `3`: an acknowledgement.
    Ack,
    /// `4`: namespace connection refused.
    ConnectError,
    /// `5`: an event with binary attachments.
    BinaryEvent,
    /// `6`: an acknowledgement with binary attachments.
    BinaryAck,
}

impl SioKind {
    fn digit(self) -> char {
        match self {
            SioKind::Connect => '0',
            SioKind::Disconnect => '1',
            SioKind::Event => '2',
            SioKind::Ack => '3',
            SioKind::ConnectError => '4',
            SioKind::BinaryEvent => '5',
            SioKind::BinaryAck => '6',
        }
    }

    fn from_digit(digit: char) -> Option<Self> {
        Some(match digit {
            '0' => SioKind::Connect,
            '1' => SioKind::Disconnect,
            '2' => SioKind::Event,
            '3' => SioKind::Ack,
            '4' => SioKind::ConnectError,
            '5' => SioKind::BinaryEvent,
            '6' => SioKind::BinaryAck,
            _ => return None,
        })
    }
}

/// A decoded Socket.IO packet header, borrowing its data from the message text.
#[derive(Debug, PartialEq, Eq)]
pub struct SioPacket<'a> {
    /// The packet type.
    pub kind: SioKind,
    /// How many binary messages follow (binary types only).
    pub attachments: usize,
    /// The namespace (`/` when the packet names none).
    pub nsp: &'a str,
    /// The acknowledgement id.
    pub id: Option<u64>,
    /// The JSON data (may be empty).
    pub data: &'a str,
}

/// Decodes a Socket.IO packet: `<type>[<attachments>-][<nsp>,][<id>][<data>]`.
pub fn decode_sio(text: &str) -> Result<SioPacket<'_>> {
    let bad = || anyhow!("malformed Socket.IO packet {:?}", truncate(text));
    let mut chars = text.chars();
    let kind = chars.next().and_then(SioKind::from_digit).ok_or_else(bad)?;
    let mut rest = chars.as_str();
    let mut attachments = 0;
    if matches!(kind, SioKind::BinaryEvent | SioKind::BinaryAck) {
        let (count, tail) = rest.split_once('-').ok_or_else(bad)?;
        attachments = count.parse().map_err(|_| bad())?;
        rest = tail;
    }
    let mut nsp = "/";
    if rest.starts_with('/') {
        let end = rest.find(',').unwrap_or(rest.len());
        nsp = &rest[..end];
        rest = rest.get(end + 1..).unwrap_or("");
    }
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let id = if digits > 0 {
        Some(rest[..digits].parse().map_err(|_| bad())?)
    } else {
        None
    };
    Ok(SioPacket {
        kind,
        attachments,
        nsp,
        id,
        data: &rest[digits..],
    })
}

/// Encodes a Socket.IO packet on the main namespace `/`.
pub fn encode_sio(kind: SioKind, attachments: usize, id: Option<u64>, data: &str) -> String {
    let mut text = String::with_capacity(data.len() + 24);
    text.push(kind.digit());
    if matches!(kind, SioKind::BinaryEvent | SioKind::BinaryAck) {
        text.push_str(&attachments.to_string());
        text.push('-');
    }
    if let Some(id) = id {
        text.push_str(&id.to_string());
    }
    text.push_str(data);
    text
}

/// Encodes an event (`2`, or `5` with `attachments` binary messages to follow) whose
/// argument array, event name first, is `args`.
pub fn encode_event(id: Option<u64>, attachments: usize, args: &Value) -> String {
    let kind = if attachments > 0 {
        SioKind::BinaryEvent
    } else {
        SioKind::Event
    };
    encode_sio(kind, attachments, id, &args.to_string())
}

/// The JSON that stands for binary attachment `num` in a packet's data.
pub fn placeholder(num: usize) -> Value {
    serde_json::json!({ "_placeholder": true, "num": num })
}

/// The `bc` payload of the broadcast scenarios: which group (broadcast or room) and round it
/// belongs to, or a probe of the cluster's readiness.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
pub struct Round {
    /// The group (room index; 0 for a plain broadcast).
    #[serde(default)]
    pub group: Option<u64>,
    /// The round number.
    #[serde(default)]
    pub round: Option<u64>,
    /// A probe's number (redis-fanout's readiness check), never counted.
    #[serde(default)]
    pub probe: Option<u64>,
}

/// Reads an event's argument array and returns the `bc` payload, `None` for any other event.
pub fn decode_bc(data: &str) -> Result<Option<Round>> {
    if let Ok((name, round)) = serde_json::from_str::<(std::borrow::Cow<'_, str>, Round)>(data) {
        return Ok((name == "bc").then_some(round));
    }
    let args: Vec<Value> = serde_json::from_str(data)
        .with_context(|| format!("event data is not an array: {:?}", truncate(data)))?;
    match args.first() {
        Some(Value::String(name)) if name == "bc" => {
            bail!("malformed bc event {:?}", truncate(data))
        }
        _ => Ok(None),
    }
}

/// Whether two JSON texts hold the same value (compared as text first, then parsed, so
/// formatting and key order do not matter).
pub fn same_json(got: &str, expected: &str) -> bool {
    got == expected
        || matches!(
            (serde_json::from_str::<Value>(got), serde_json::from_str::<Value>(expected)),
            (Ok(a), Ok(b)) if a == b
        )
}

/// A prefix of `text` short enough for an error message.
pub fn truncate(text: &str) -> &str {
    let mut end = text.len().min(200);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_the_open_packet() -> Result<()> {
        let open = decode_open(
            r#"0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#,
        )?;
        assert_eq!(open.sid, "abc");
        assert_eq!(open.ping_interval, 25000);
        assert_eq!(open.ping_timeout, 20000);
        assert_eq!(open.max_payload, 1_000_000);
        assert!(decode_open("40").is_err());
        Ok(())
    }

    #[test]
    fn decodes_engine_packets() -> Result<()> {
        assert_eq!(decode_engine("2")?, EnginePacket::Ping(""));
        assert_eq!(decode_engine("2probe")?, EnginePacket::Ping("probe"));
        assert_eq!(
            decode_engine("42[\"a\"]")?,
            EnginePacket::Message("2[\"a\"]")
        );
        assert_eq!(decode_engine("1")?, EnginePacket::Close);
        assert!(decode_engine("").is_err());
        assert!(decode_engine("9").is_err());
        Ok(())
    }

    #[test]
    fn polling_payload_round_trips() -> Result<()> {
        let body = encode_payload(&[
            Message::Text("0".into()),
            Message::Binary(Bytes::from_static(&[1, 2, 255])),
        ]);
        assert_eq!(body, "40\x1ebAQL/");
        let records = decode_payload("40{\"sid\":\"x\"}\x1e2\x1ebAQL/")?;
        assert_eq!(
            records,
            vec![
                Record::Packet(EnginePacket::Message("0{\"sid\":\"x\"}")),
                Record::Packet(EnginePacket::Ping("")),
                Record::Binary(Bytes::from_static(&[1, 2, 255])),
            ]
        );
        assert!(decode_payload("b!!").is_err());
        Ok(())
    }

    #[test]
    fn decodes_socketio_packets() -> Result<()> {
        let ack = decode_sio(r#"317[{"seq":1}]"#)?;
        assert_eq!(ack.kind, SioKind::Ack);
        assert_eq!(ack.id, Some(17));
        assert_eq!(ack.nsp, "/");
        assert_eq!(ack.data, r#"[{"seq":1}]"#);

        let binary = decode_sio(r#"61-5[{"_placeholder":true,"num":0}]"#)?;
        assert_eq!(binary.kind, SioKind::BinaryAck);
        assert_eq!(binary.attachments, 1);
        assert_eq!(binary.id, Some(5));

        let connect = decode_sio(r#"0/admin,{"sid":"s"}"#)?;
        assert_eq!(connect.kind, SioKind::Connect);
        assert_eq!(connect.nsp, "/admin");
        assert_eq!(connect.id, None);
        assert_eq!(connect.data, r#"{"sid":"s"}"#);

        assert_eq!(decode_sio("0")?.data, "");
        assert!(decode_sio("5x-[]").is_err());
        assert!(decode_sio("").is_err());
        assert!(decode_sio("7").is_err());
        Ok(())
    }

    #[test]
    fn encodes_events() {
        let args = json!(["message-with-ack", {"seq": 3}]);
        assert_eq!(
            encode_event(Some(3), 0, &args),
            r#"23["message-with-ack",{"seq":3}]"#
        );
        let args = json!(["message-with-ack", placeholder(0)]);
        assert_eq!(
            encode_event(Some(9), 1, &args),
            r#"51-9["message-with-ack",{"_placeholder":true,"num":0}]"#
        );
        assert_eq!(
            encode_event(None, 0, &json!(["broadcast", 1])),
            r#"2["broadcast",1]"#
        );
        assert_eq!(encode_sio(SioKind::Connect, 0, None, ""), "0");
    }

    #[test]
    fn decodes_bc_events() -> Result<()> {
        assert_eq!(
            decode_bc(r#"["bc",{"group":2,"round":7}]"#)?,
            Some(Round {
                group: Some(2),
                round: Some(7),
                probe: None
            })
        );
        assert_eq!(decode_bc(r#"["auth",null]"#)?, None);
        assert_eq!(decode_bc(r#"["other",1,2,3]"#)?, None);
        assert!(decode_bc(r#"["bc","text"]"#).is_err());
        assert!(decode_bc("nope").is_err());
        Ok(())
    }

    #[test]
    fn compares_json() {
        assert!(same_json(r#"{"a":1,"b":2}"#, r#"{"a":1,"b":2}"#));
        assert!(same_json(r#"{ "b": 2, "a": 1 }"#, r#"{"a":1,"b":2}"#));
        assert!(!same_json(r#"{"a":1}"#, r#"{"a":2}"#));
        assert_eq!(truncate("héllo"), "héllo");
    }
}
