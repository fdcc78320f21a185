//! The HTTP long-polling payload of Engine.IO v3 (the socket.io client 2.x): every packet is
//! prefixed with its length. As text, `<length in UTF-16 units>:<packet>`, binary packets as
//! `b4<base64>`; as binary (XHR2), `<0 text | 1 binary><length digits><0xFF><packet>`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;

use super::frame::Frame;
use super::packet::{InvalidPacket, decode_text};
use super::payload::PayloadPacket;

/// The content type of a binary payload.
pub(crate) const BINARY_CONTENT_TYPE: &str = "application/octet-stream";

/// One packet of a payload, before framing.
enum Unit<'a> {
    Text(&'a str),
    Binary(&'a [u8]),
}

fn units(frames: &[Frame]) -> impl Iterator<Item = Unit<'_>> {
    frames
        .iter()
        .flat_map(|frame| -> Box<dyn Iterator<Item = Unit<'_>> + '_> {
            match frame {
                Frame::Text(text) => Box::new(std::iter::once(Unit::Text(text.as_str()))),
                Frame::Binary(data) => Box::new(std::iter::once(Unit::Binary(data))),
                Frame::TextWithBinary(text, attachments) => Box::new(
                    std::iter::once(Unit::Text(text.as_str()))
                        .chain(attachments.iter().map(|data| Unit::Binary(data))),
                ),
                Frame::Ping => Box::new(std::iter::once(Unit::Text("2"))),
                Frame::Pong => Box::new(std::iter::once(Unit::Text("3"))),
                Frame::Noop => Box::new(std::iter::once(Unit::Text("6"))),
                Frame::Close => Box::new(std::iter::once(Unit::Text("1"))),
            }
        })
}

/// Encodes frames for a GET response: as binary when there is binary data and the client
/// can read binary, else as text. Returns the body and its content type.
pub(crate) fn encode(frames: &[Frame], binary_support: bool) -> (Bytes, &'static str) {
    let has_binary = units(frames).any(|unit| matches!(unit, Unit::Binary(_)));
    if has_binary && binary_support {
        (encode_binary(frames), BINARY_CONTENT_TYPE)
    } else {
        (encode_text(frames), "text/plain; charset=UTF-8")
    }
}

/// A binary message as base64 text: `b4<base64>`.
pub(crate) fn base64_message(data: &[u8]) -> String {
    format!("b4{}", BASE64.encode(data))
}

fn encode_text(frames: &[Frame]) -> Bytes {
    let mut body = String::new();
    for unit in units(frames) {
        match unit {
            Unit::Text(packet) => {
                body.push_str(&packet.encode_utf16().count().to_string());
                body.push(':');
                body.push_str(packet);
            }
            Unit::Binary(data) => {
                let encoded = base64_message(data);
                body.push_str(&encoded.len().to_string());
                body.push(':');
                body.push_str(&encoded);
            }
        }
    }
    body.into()
}

fn encode_binary(frames: &[Frame]) -> Bytes {
    let mut body = Vec::new();
    let mut push = |kind: u8, length: usize, parts: &[&[u8]]| {
        body.push(kind);
        body.extend(length.to_string().bytes().map(|digit| digit - b'0'));
        body.push(0xFF);
        for part in parts {
            body.extend_from_slice(part);
        }
    };
    for unit in units(frames) {
        match unit {
            Unit::Text(packet) => push(0, packet.len(), &[packet.as_bytes()]),
            Unit::Binary(data) => push(1, data.len() + 1, &[&[4], data]),
        }
    }
    body.into()
}

/// Decodes a text POST body.
pub(crate) fn decode_text_payload(body: &str) -> Result<Vec<PayloadPacket<'_>>, InvalidPacket> {
    let mut packets = Vec::new();
    let mut rest = body;
    if rest.is_empty() {
        return Err(InvalidPacket("empty payload"));
    }
    while !rest.is_empty() {
        let (length, after) = rest
            .split_once(':')
            .ok_or(InvalidPacket("payload length without `:`"))?;
        if length.is_empty() || !length.bytes().all(|b| b.is_ascii_digit()) || length.len() > 10 {
            return Err(InvalidPacket("payload length is not a number"));
        }
        let units: usize = length
            .parse()
            .map_err(|_| InvalidPacket("payload length is not a number"))?;
        let end =
            utf16_offset(after, units).ok_or(InvalidPacket("payload shorter than its length"))?;
        let (packet, remaining) = after.split_at(end);
        packets.push(decode_text_packet(packet)?);
        rest = remaining;
    }
    Ok(packets)
}

/// The byte offset after `units` UTF-16 code units of `text`, if it has that many and the
/// offset does not split a character.
fn utf16_offset(text: &str, units: usize) -> Option<usize> {
    let mut counted = 0;
    for (offset, c) in text.char_indices() {
        if counted == units {
            return Some(offset);
        }
        counted += c.len_utf16();
        if counted > units {
            return None;
        }
    }
    (counted == units).then_some(text.len())
}

/// Decodes one text packet: a packet, or `b4<base64>` binary.
pub(crate) fn decode_text_packet(packet: &str) -> Result<PayloadPacket<'_>, InvalidPacket> {
    match packet.strip_prefix('b') {
        Some(encoded) => {
            let encoded = encoded
                .strip_prefix('4')
                .ok_or(InvalidPacket("base64 packet that is not a message"))?;
            BASE64
                .decode(encoded)
                .map(|data| PayloadPacket::Binary(data.into()))
                .map_err(|_| InvalidPacket("invalid base64 in binary packet"))
        }
        None => decode_text(packet).map(PayloadPacket::Text),
    }
}

/// Decodes a binary POST body.
pub(crate) fn decode_binary_payload(body: &Bytes) -> Result<Vec<PayloadPacket<'_>>, InvalidPacket> {
    let mut packets = Vec::new();
    let mut at = 0;
    if body.is_empty() {
        return Err(InvalidPacket("empty payload"));
    }
    while at < body.len() {
        let kind = body[at];
        at += 1;
        let mut length: usize = 0;
        let mut digits = 0;
        loop {
            let byte = *body
                .get(at)
                .ok_or(InvalidPacket("payload ends inside a length"))?;
            at += 1;
            match byte {
                0xFF if digits > 0 => break,
                0..=9 if digits < 10 => {
                    length = length * 10 + usize::from(byte);
                    digits += 1;
                }
                _ => return Err(InvalidPacket("invalid length in binary payload")),
            }
        }
        let end = at
            .checked_add(length)
            .filter(|end| *end <= body.len())
            .ok_or(InvalidPacket("payload shorter than its length"))?;
        let packet = &body[at..end];
        packets.push(match kind {
            0 => {
                let text = std::str::from_utf8(packet)
                    .map_err(|_| InvalidPacket("text packet is not UTF-8"))?;
                decode_text_packet(text)?
            }
            1 => match packet.split_first() {
                Some((4, _)) => PayloadPacket::Binary(body.slice(at + 1..end)),
                _ => return Err(InvalidPacket("binary packet that is not a message")),
            },
            _ => return Err(InvalidPacket("unknown packet kind in binary payload")),
        });
        at = end;
    }
    Ok(packets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engineio::packet::{PacketType, TextPacket};
    use std::sync::Arc;

    fn text(kind: PacketType, data: &str) -> PayloadPacket<'_> {
        PayloadPacket::Text(TextPacket { kind, data })
    }

    #[test]
    fn text_payloads_count_utf16_units() {
        let frames = [Frame::text("é😀"), Frame::Pong, Frame::Noop];
        let (body, content_type) = encode(&frames, true);
        assert_eq!(&body[..], "4:4é😀1:31:6".as_bytes());
        assert_eq!(content_type, "text/plain; charset=UTF-8");
        let decoded = decode_text_payload("4:4é😀1:2").ok();
        assert_eq!(
            decoded,
            Some(vec![
                text(PacketType::Message, "é😀"),
                text(PacketType::Ping, "")
            ])
        );
    }

    #[test]
    fn binary_goes_as_base64_text_without_binary_support() {
        let frames = [Frame::TextWithBinary(
            "451-[]".into(),
            Arc::from([Bytes::from_static(&[1, 2, 3])]),
        )];
        let (body, _) = encode(&frames, false);
        assert_eq!(&body[..], b"6:451-[]6:b4AQID");
        let decoded = decode_text_payload("6:b4AQID").ok();
        assert_eq!(
            decoded,
            Some(vec![PayloadPacket::Binary(Bytes::from_static(&[1, 2, 3]))])
        );
    }

    #[test]
    fn binary_payloads_round_trip() {
        let frames = [
            Frame::text("hi"),
            Frame::Binary(Bytes::from_static(&[9, 8])),
        ];
        let (body, content_type) = encode(&frames, true);
        assert_eq!(content_type, BINARY_CONTENT_TYPE);
        assert_eq!(
            &body[..],
            &[0, 3, 0xFF, b'4', b'h', b'i', 1, 3, 0xFF, 4, 9, 8]
        );
        let decoded = decode_binary_payload(&body).ok();
        assert_eq!(
            decoded,
            Some(vec![
                text(PacketType::Message, "hi"),
                PayloadPacket::Binary(Bytes::from_static(&[9, 8]))
            ])
        );
    }

    #[test]
    fn bad_lengths_are_errors() {
        for body in [
            "5:4abc",
            "10:4ab",
            "x:4a",
            ":4a",
            "4a",
            "",
            "2:4a3",
            "99999999999:4",
        ] {
            assert!(decode_text_payload(body).is_err(), "{body:?}");
        }
        assert!(decode_text_payload("3:4😀").is_ok());
        assert!(decode_text_payload("2:4😀").is_err());
        for body in [
            &[0u8, 5, 0xFF, b'4'][..],
            &[0, 0xFF],
            &[2, 1, 0xFF, b'4'],
            &[1, 2, 0xFF, 3, 1],
        ] {
            assert!(
                decode_binary_payload(&Bytes::copy_from_slice(body)).is_err(),
                "{body:?}"
            );
        }
    }
}
