//! The wire format of Node's cluster adapters: a broadcast as `@socket.io/redis-adapter` 8.x and
//! `@socket.io/redis-emitter` publish it on Redis. Node ships MessagePack *values*, not
//! socket.io text: this module transcodes between the two, once per broadcast published or
//! received (never per socket).
//!
//! A broadcast is the MessagePack array `[uid, packet, opts]`: `packet` is
//! `{type: 2, data: [event, ...args], nsp}` with binary as MessagePack `bin` (never socket.io's
//! placeholders), `opts` is `{rooms, except, flags}`. Decoding is tolerant, as other emitters
//! are: any key order, `rooms` / `except` missing, nil or `""`, unknown flags, `nsp` missing
//! (meaning `/`).

// Without the Redis adapter only the unit tests use it.
#![cfg_attr(not(feature = "redis"), allow(dead_code))]

use std::fmt;

use bytes::Bytes;
use rmpv::Value as Msg;
use serde_json::Value as Json;

use crate::socketio::packet::Args;
use crate::socketio::placeholder_index;

/// How deeply values may nest in a message from the queue (rmpv counts two levels per array or
/// map, so this is about 200 nested arrays): deeper ones are refused rather than decoded on the
/// stack.
const MAX_DEPTH: usize = 400;

/// Socket.IO's EVENT packet type, which Node publishes even for binary events.
const EVENT: i64 = 2;

/// A broadcast between servers.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WireBroadcast {
    /// The publishing server (`"emitter"` for the Node emitter).
    pub(crate) uid: String,
    pub(crate) namespace: String,
    pub(crate) event: String,
    /// The event's arguments, as socket.io carries them: JSON with placeholders, and binary
    /// attachments.
    pub(crate) args: Args,
    pub(crate) rooms: Vec<String>,
    pub(crate) except: Vec<String>,
}

/// A message from the queue that is not a broadcast ferrio can deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WireError(pub(crate) &'static str);

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid cluster message: {}", self.0)
    }
}

impl std::error::Error for WireError {}

impl WireBroadcast {
    /// The MessagePack bytes Node's adapters publish for this broadcast.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut packet = self.packet();
        if let Msg::Map(fields) = &mut packet {
            fields.push((Msg::from("nsp"), Msg::from(self.namespace.as_str())));
        }
        let message = Msg::Array(vec![Msg::from(self.uid.as_str()), packet, self.options()]);
        let mut bytes = Vec::new();
        // Writing to a Vec cannot fail.
        let _ = rmpv::encode::write_value(&mut bytes, &message);
        bytes
    }

    /// The socket.io packet, `{type: 2, data: [event, ...args]}`, binary as `bin`.
    pub(crate) fn packet(&self) -> Msg {
        let mut data = Vec::with_capacity(self.args.len() + 1);
        data.push(Msg::from(self.event.as_str()));
        data.extend(
            self.args
                .values()
                .iter()
                .map(|value| to_msgpack(value, &self.args.attachments)),
        );
        Msg::Map(vec![
            (Msg::from("type"), Msg::from(EVENT)),
            (Msg::from("data"), Msg::Array(data)),
        ])
    }

    /// The broadcast's options, `{rooms, except, flags: {}}`.
    pub(crate) fn options(&self) -> Msg {
        let strings =
            |list: &[String]| Msg::Array(list.iter().map(|s| Msg::from(s.as_str())).collect());
        Msg::Map(vec![
            (Msg::from("rooms"), strings(&self.rooms)),
            (Msg::from("except"), strings(&self.except)),
            (Msg::from("flags"), Msg::Map(Vec::new())),
        ])
    }

    /// Reads a broadcast published by a Node server, an emitter, or ferrio.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let Msg::Array(parts) = read_one(bytes)? else {
            return Err(WireError("not an array"));
        };
        let [uid, packet, opts] = parts.as_slice() else {
            return Err(WireError("not [uid, packet, opts]"));
        };
        let uid = uid
            .as_str()
            .ok_or(WireError("uid is not a string"))?
            .to_owned();
        Self::from_parts(uid, None, packet, opts)
    }

    /// A broadcast from its packet and options, in the namespace the packet names, else
    /// `namespace`, else `/`.
    pub(crate) fn from_parts(
        uid: String,
        namespace: Option<&str>,
        packet: &Msg,
        opts: &Msg,
    ) -> Result<Self, WireError> {
        if field(packet, "type").and_then(Msg::as_i64) != Some(EVENT) {
            return Err(WireError("not an event"));
        }
        let namespace = match field(packet, "nsp") {
            None | Some(Msg::Nil) => namespace.unwrap_or("/").to_owned(),
            Some(nsp) => nsp
                .as_str()
                .ok_or(WireError("nsp is not a string"))?
                .to_owned(),
        };
        let Some(Msg::Array(data)) = field(packet, "data") else {
            return Err(WireError("data is not an array"));
        };
        let (event, rest) = data.split_first().ok_or(WireError("no event name"))?;
        let event = event
            .as_str()
            .ok_or(WireError("the event name is not a string"))?
            .to_owned();
        let mut attachments = Vec::new();
        let values = rest
            .iter()
            .map(|value| to_json(value, &mut attachments))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            uid,
            namespace,
            event,
            args: Args::new(values, attachments),
            rooms: string_list(field(opts, "rooms"))?,
            except: string_list(field(opts, "except"))?,
        })
    }
}

/// A broadcast that asks every socket for an acknowledgement (request type 7), as a Node
/// server publishes it on the request channel.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WireAckRequest {
    pub(crate) uid: String,
    pub(crate) request_id: Msg,
    pub(crate) broadcast: WireBroadcast,
    /// `flags.timeout`, in milliseconds.
    pub(crate) timeout_ms: Option<u64>,
}

impl WireAckRequest {
    /// Reads a MessagePack `{uid, requestId, type: 7, packet, opts}`.
    pub(crate) fn decode(mut bytes: &[u8]) -> Result<Self, WireError> {
        let message = rmpv::decode::read_value_with_max_depth(&mut bytes, MAX_DEPTH)
            .map_err(|_| WireError("not MessagePack"))?;
        if field(&message, "type").and_then(Msg::as_u64) != Some(7) {
            return Err(WireError("not a broadcast with acknowledgements"));
        }
        let uid = field(&message, "uid")
            .and_then(Msg::as_str)
            .unwrap_or_default()
            .to_owned();
        let request_id = field(&message, "requestId")
            .cloned()
            .ok_or(WireError("no requestId"))?;
        let packet = field(&message, "packet").ok_or(WireError("no packet"))?;
        let opts = field(&message, "opts").cloned().unwrap_or(Msg::Nil);
        let timeout_ms = field(&opts, "flags")
            .and_then(|flags| field(flags, "timeout"))
            .and_then(Msg::as_u64);
        // The same shape as a broadcast's [uid, packet, opts], whose decoder checks it.
        let mut rebuilt = Vec::new();
        let _ = rmpv::encode::write_value(
            &mut rebuilt,
            &Msg::Array(vec![Msg::from(uid.as_str()), packet.clone(), opts]),
        );
        Ok(Self {
            uid,
            request_id,
            broadcast: WireBroadcast::decode(&rebuilt)?,
            timeout_ms,
        })
    }
}

/// A broadcast with acknowledgements for the other servers: MessagePack
/// `{uid, requestId, type: 7, packet, opts: {rooms, except, flags: {timeout}}}`.
pub(crate) fn encode_ack_request(
    request_id: &str,
    broadcast: &WireBroadcast,
    timeout_ms: u64,
) -> Vec<u8> {
    let Ok(Msg::Array(parts)) = rmpv::decode::read_value(&mut broadcast.encode().as_slice()) else {
        return Vec::new();
    };
    let [_, packet, opts] = parts.as_slice() else {
        return Vec::new();
    };
    let mut opts = opts.clone();
    if let Msg::Map(entries) = &mut opts {
        entries.retain(|(key, _)| key.as_str() != Some("flags"));
        entries.push((
            Msg::from("flags"),
            Msg::Map(vec![(Msg::from("timeout"), Msg::from(timeout_ms))]),
        ));
    }
    let message = Msg::Map(vec![
        (Msg::from("uid"), Msg::from(broadcast.uid.as_str())),
        (Msg::from("requestId"), Msg::from(request_id)),
        (Msg::from("type"), Msg::from(7)),
        (Msg::from("packet"), packet.clone()),
        (Msg::from("opts"), opts),
    ]);
    let mut bytes = Vec::new();
    let _ = rmpv::encode::write_value(&mut bytes, &message);
    bytes
}

/// An acknowledgement from another server (MessagePack `{type: 9, requestId, packet}`): the
/// request id and the reply's one argument.
pub(crate) fn decode_ack_response(mut bytes: &[u8]) -> Result<(String, Args), WireError> {
    let message = rmpv::decode::read_value_with_max_depth(&mut bytes, MAX_DEPTH)
        .map_err(|_| WireError("not MessagePack"))?;
    if field(&message, "type").and_then(Msg::as_u64) != Some(9) {
        return Err(WireError("not an acknowledgement"));
    }
    let request_id = field(&message, "requestId")
        .and_then(Msg::as_str)
        .ok_or(WireError("no requestId"))?
        .to_owned();
    let mut attachments = Vec::new();
    let value = to_json(
        field(&message, "packet").unwrap_or(&Msg::Nil),
        &mut attachments,
    )?;
    Ok((request_id, Args::new(vec![value], attachments)))
}

/// The answer to a broadcast with acknowledgements: one client's acknowledgement (its first
/// argument only, as Node sends it), MessagePack `{type: 9, requestId, packet}`.
pub(crate) fn encode_ack_response(request_id: &Msg, args: &Args) -> Vec<u8> {
    let first = args
        .values()
        .first()
        .map_or(Msg::Nil, |value| to_msgpack(value, &args.attachments));
    let message = Msg::Map(vec![
        (Msg::from("type"), Msg::from(9)),
        (Msg::from("requestId"), request_id.clone()),
        (Msg::from("packet"), first),
    ]);
    let mut bytes = Vec::new();
    let _ = rmpv::encode::write_value(&mut bytes, &message);
    bytes
}

/// One MessagePack value, nothing after it, not nested past the limit.
pub(crate) fn read_one(mut bytes: &[u8]) -> Result<Msg, WireError> {
    let value = rmpv::decode::read_value_with_max_depth(&mut bytes, MAX_DEPTH)
        .map_err(|_| WireError("not MessagePack"))?;
    if !bytes.is_empty() {
        return Err(WireError("trailing bytes"));
    }
    Ok(value)
}

/// A map's value for a string key, whatever the key order.
pub(crate) fn field<'a>(map: &'a Msg, key: &str) -> Option<&'a Msg> {
    let Msg::Map(entries) = map else { return None };
    entries
        .iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(_, v)| v)
}

/// A list of rooms: missing, nil and `""` (other emitters) mean none.
pub(crate) fn string_list(value: Option<&Msg>) -> Result<Vec<String>, WireError> {
    match value {
        None | Some(Msg::Nil) => Ok(Vec::new()),
        Some(Msg::String(s)) if s.as_str() == Some("") => Ok(Vec::new()),
        Some(Msg::Array(items)) => items
            .iter()
            .map(|item| match item {
                Msg::String(s) => s
                    .as_str()
                    .map(str::to_owned)
                    .ok_or(WireError("a room is not UTF-8")),
                // Node allows numeric rooms.
                Msg::Integer(n) => Ok(n.to_string()),
                _ => Err(WireError("a room is not a string")),
            })
            .collect(),
        Some(_) => Err(WireError("rooms is not a list")),
    }
}

/// A socket.io argument as a MessagePack value: placeholders become the bytes they stand for.
pub(crate) fn to_msgpack(value: &Json, attachments: &[Bytes]) -> Msg {
    if let Some(data) = placeholder_index(value).and_then(|n| attachments.get(n)) {
        return Msg::Binary(data.to_vec());
    }
    match value {
        Json::Null => Msg::Nil,
        Json::Bool(b) => Msg::Boolean(*b),
        Json::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => Msg::from(u),
            (_, Some(i), _) => Msg::from(i),
            (_, _, Some(f)) => Msg::F64(f),
            _ => Msg::Nil,
        },
        Json::String(s) => Msg::from(s.as_str()),
        Json::Array(items) => {
            Msg::Array(items.iter().map(|v| to_msgpack(v, attachments)).collect())
        }
        Json::Object(map) => Msg::Map(
            map.iter()
                .map(|(k, v)| (Msg::from(k.as_str()), to_msgpack(v, attachments)))
                .collect(),
        ),
    }
}

/// A MessagePack value as a socket.io argument: binary becomes a placeholder and an
/// attachment; a timestamp the ISO text Node's `Date` would be sent as.
pub(crate) fn to_json(value: &Msg, attachments: &mut Vec<Bytes>) -> Result<Json, WireError> {
    Ok(match value {
        Msg::Nil => Json::Null,
        Msg::Boolean(b) => Json::Bool(*b),
        Msg::Integer(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Json::from(u),
            (_, Some(i)) => Json::from(i),
            _ => return Err(WireError("integer out of range")),
        },
        // Not finite: `null`, as JSON.stringify writes it.
        Msg::F32(f) => serde_json::Number::from_f64(f64::from(*f)).map_or(Json::Null, Json::Number),
        Msg::F64(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Msg::String(s) => Json::String(
            s.as_str()
                .ok_or(WireError("a string is not UTF-8"))?
                .to_owned(),
        ),
        Msg::Binary(data) => {
            attachments.push(Bytes::copy_from_slice(data));
            serde_json::json!({ "_placeholder": true, "num": attachments.len() - 1 })
        }
        Msg::Array(items) => Json::Array(
            items
                .iter()
                .map(|item| to_json(item, attachments))
                .collect::<Result<_, _>>()?,
        ),
        Msg::Map(entries) => Json::Object(
            entries
                .iter()
                .map(|(key, value)| {
                    let key = match key {
                        Msg::String(s) => s
                            .as_str()
                            .ok_or(WireError("a key is not UTF-8"))?
                            .to_owned(),
                        // JavaScript object keys are strings.
                        other => other.to_string(),
                    };
                    Ok((key, to_json(value, attachments)?))
                })
                .collect::<Result<_, WireError>>()?,
        ),
        Msg::Ext(-1, data) => Json::String(timestamp(data)?),
        // notepack < 3 wrote `undefined` as fixext1 type 0.
        Msg::Ext(0, data) if data.as_slice() == [0] => Json::Null,
        Msg::Ext(..) => return Err(WireError("unknown MessagePack extension")),
    })
}

/// The MessagePack timestamp extension as ISO 8601 with milliseconds, as a `Date` travels.
fn timestamp(data: &[u8]) -> Result<String, WireError> {
    let (seconds, nanos) = match data.len() {
        4 => (
            i64::from(u32::from_be_bytes(
                data.try_into().map_err(|_| WireError("timestamp"))?,
            )),
            0,
        ),
        8 => {
            let packed = u64::from_be_bytes(data.try_into().map_err(|_| WireError("timestamp"))?);
            ((packed & 0x3_ffff_ffff) as i64, (packed >> 34) as u32)
        }
        12 => {
            let nanos =
                u32::from_be_bytes(data[..4].try_into().map_err(|_| WireError("timestamp"))?);
            let seconds =
                i64::from_be_bytes(data[4..].try_into().map_err(|_| WireError("timestamp"))?);
            (seconds, nanos)
        }
        _ => return Err(WireError("timestamp of an unknown size")),
    };
    let days = seconds.div_euclid(86_400);
    let second_of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    Ok(format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60,
        nanos / 1_000_000
    ))
}

/// Year, month, day of a count of days since 1970-01-01 (the proleptic Gregorian calendar).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The bytes Node's `@socket.io/redis-emitter` 5.1.0 publishes for
    /// `emitter.to("r1").emit("hi", {a: 1}, Buffer.from([1, 2]))`, as observed on the wire.
    fn emitter_bytes() -> Vec<u8> {
        let mut b = vec![0x93, 0xa7];
        b.extend(b"emitter");
        b.extend([0x83, 0xa4]);
        b.extend(b"type");
        b.extend([0x02, 0xa4]);
        b.extend(b"data");
        b.extend([0x93, 0xa2]);
        b.extend(b"hi");
        b.extend([0x81, 0xa1, b'a', 0x01, 0xc4, 0x02, 0x01, 0x02, 0xa3]);
        b.extend(b"nsp");
        b.extend([0xa1, b'/', 0x83, 0xa5]);
        b.extend(b"rooms");
        b.extend([0x91, 0xa2]);
        b.extend(b"r1");
        b.extend([0xa5]);
        b.extend(b"flags");
        b.extend([0x80, 0xa6]);
        b.extend(b"except");
        b.extend([0x90]);
        b
    }

    #[test]
    fn reads_the_node_emitters_broadcast() {
        let decoded = WireBroadcast::decode(&emitter_bytes());
        let expected = WireBroadcast {
            uid: "emitter".to_owned(),
            namespace: "/".to_owned(),
            event: "hi".to_owned(),
            args: Args::new(
                vec![json!({"a": 1}), json!({"_placeholder": true, "num": 0})],
                vec![Bytes::from_static(&[1, 2])],
            ),
            rooms: vec!["r1".to_owned()],
            except: vec![],
        };
        assert_eq!(decoded, Ok(expected));
    }

    #[test]
    fn writes_what_it_reads_with_binary_as_msgpack_bin() {
        let broadcast = WireBroadcast {
            uid: "abc123".to_owned(),
            namespace: "/chat".to_owned(),
            event: "news".to_owned(),
            args: Args::new(
                vec![
                    json!([1, -2, 2.5, "x", null, true]),
                    json!({"img": {"_placeholder": true, "num": 0}}),
                ],
                vec![Bytes::from_static(b"png")],
            ),
            rooms: vec!["a".to_owned(), "b".to_owned()],
            except: vec!["sid".to_owned()],
        };
        let bytes = broadcast.encode();
        assert!(
            bytes
                .windows(5)
                .any(|w| w == [0xc4, 0x03, b'p', b'n', b'g']),
            "binary travels as bin 8"
        );
        assert_eq!(WireBroadcast::decode(&bytes), Ok(broadcast));
    }

    #[test]
    fn tolerates_other_emitters() {
        // [uid, {data, type}] with rooms "" and no except, flags or nsp.
        let message = Msg::Array(vec![
            Msg::from("py"),
            Msg::Map(vec![
                (Msg::from("data"), Msg::Array(vec![Msg::from("ev")])),
                (Msg::from("type"), Msg::from(2)),
            ]),
            Msg::Map(vec![(Msg::from("rooms"), Msg::from(""))]),
        ]);
        let mut bytes = Vec::new();
        let _ = rmpv::encode::write_value(&mut bytes, &message);
        let decoded = WireBroadcast::decode(&bytes);
        assert_eq!(
            decoded
                .as_ref()
                .map(|b| (b.namespace.as_str(), b.rooms.len(), b.except.len())),
            Ok(("/", 0, 0))
        );
    }

    /// The messages of a broadcast with acknowledgements, byte for byte as Node's adapter
    /// writes them (keys in Node's order).
    #[test]
    fn ack_requests_and_responses_have_nodes_bytes() {
        let broadcast = WireBroadcast {
            uid: "abc123".to_owned(),
            namespace: "/".to_owned(),
            event: "q".to_owned(),
            args: Args::default(),
            rooms: vec!["r".to_owned()],
            except: vec![],
        };
        let request = encode_ack_request("id1234", &broadcast, 500);
        let mut expected = vec![0x85, 0xa3];
        expected.extend(b"uid");
        expected.push(0xa6);
        expected.extend(b"abc123");
        expected.push(0xa9);
        expected.extend(b"requestId");
        expected.push(0xa6);
        expected.extend(b"id1234");
        expected.push(0xa4);
        expected.extend(b"type");
        expected.extend([0x07, 0xa6]);
        expected.extend(b"packet");
        expected.extend([0x83, 0xa4]);
        expected.extend(b"type");
        expected.extend([0x02, 0xa4]);
        expected.extend(b"data");
        expected.extend([0x91, 0xa1, b'q', 0xa3]);
        expected.extend(b"nsp");
        expected.extend([0xa1, b'/', 0xa4]);
        expected.extend(b"opts");
        expected.extend([0x83, 0xa5]);
        expected.extend(b"rooms");
        expected.extend([0x91, 0xa1, b'r', 0xa6]);
        expected.extend(b"except");
        expected.extend([0x90, 0xa5]);
        expected.extend(b"flags");
        expected.extend([0x81, 0xa7]);
        expected.extend(b"timeout");
        expected.extend([0xcd, 0x01, 0xf4]);
        assert_eq!(request, expected);

        let reply = Args::new(
            vec![json!({"_placeholder": true, "num": 0})],
            vec![Bytes::from_static(&[9])],
        );
        let response = encode_ack_response(&Msg::from("id1234"), &reply);
        let mut expected = vec![0x83, 0xa4];
        expected.extend(b"type");
        expected.extend([0x09, 0xa9]);
        expected.extend(b"requestId");
        expected.push(0xa6);
        expected.extend(b"id1234");
        expected.push(0xa6);
        expected.extend(b"packet");
        expected.extend([0xc4, 0x01, 0x09]);
        assert_eq!(response, expected);
        assert_eq!(
            decode_ack_response(&response),
            Ok(("id1234".to_owned(), reply))
        );
    }

    #[test]
    fn dates_become_iso_text() {
        assert_eq!(
            timestamp(&[0, 0, 0, 0]),
            Ok("1970-01-01T00:00:00.000Z".to_owned())
        );
        // 2026-11-24T23:30:34.366Z: 1795563034 seconds, 366 ms in the 64-bit form.
        let packed = (366_000_000u64 << 34) | 1_795_563_034;
        assert_eq!(
            timestamp(&packed.to_be_bytes()),
            Ok("2026-11-24T23:30:34.366Z".to_owned())
        );
    }

    #[test]
    fn refuses_what_is_not_a_broadcast() {
        let mut trailing = emitter_bytes();
        trailing.push(0);
        assert!(WireBroadcast::decode(&trailing).is_err());
        assert!(WireBroadcast::decode(b"{\"type\":2}").is_err());
        assert!(WireBroadcast::decode(&[0x93, 0xa1, b'u', 0x80, 0x80]).is_err());
        assert!(WireBroadcast::decode(&[]).is_err());
        let mut deep = vec![0x91; 100_000];
        deep.push(0xc0);
        assert!(WireBroadcast::decode(&deep).is_err());
    }
}
