//! The HTTP long-polling payload of Engine.IO v4: packets joined by the record separator,
//! binary packets as `b` followed by base64.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;

use super::frame::Frame;
use super::packet::{InvalidPacket, TextPacket, decode_text};

/// The separator between packets of one polling payload.
const RECORD_SEPARATOR: char = '\x1e';

/// One packet of a polling payload sent by a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PayloadPacket<'a> {
    Text(TextPacket<'a>),
    Binary(Bytes),
}

/// Splits a POST body into its packets.
pub(crate) fn decode(body: &str) -> impl Iterator<Item = Result<PayloadPacket<'_>, InvalidPacket>> {
    body.split(RECORD_SEPARATOR)
        .map(|part| match part.strip_prefix('b') {
            Some(encoded) => BASE64
                .decode(encoded)
                .map(|data| PayloadPacket::Binary(data.into()))
                .map_err(|_| InvalidPacket("invalid base64 in binary packet")),
            None => decode_text(part).map(PayloadPacket::Text),
        })
}

/// Joins frames into one response body.
pub(crate) fn encode(frames: &[Frame]) -> Bytes {
    let mut body =
        String::with_capacity(frames.iter().map(encoded_len).sum::<usize>() + frames.len());
    for (i, frame) in frames.iter().enumerate() {
        if i > 0 {
            body.push(RECORD_SEPARATOR);
        }
        match frame {
            Frame::Text(text) => body.push_str(text.as_str()),
            Frame::Binary(data) => push_binary(&mut body, data),
            Frame::TextWithBinary(text, attachments) => {
                body.push_str(text.as_str());
                for data in attachments.iter() {
                    body.push(RECORD_SEPARATOR);
                    push_binary(&mut body, data);
                }
            }
            Frame::Ping => body.push('2'),
            Frame::Pong => body.push('3'),
            Frame::Noop => body.push('6'),
            Frame::Close => body.push('1'),
        }
    }
    body.into()
}

/// The length of a frame once encoded, separators between attachments included.
pub(crate) fn encoded_len(frame: &Frame) -> usize {
    let binary_len = |data: &Bytes| 1 + data.len().div_ceil(3) * 4;
    match frame {
        Frame::Text(text) => text.len(),
        Frame::Binary(data) => binary_len(data),
        Frame::TextWithBinary(text, attachments) => {
            text.len() + attachments.iter().map(|a| 1 + binary_len(a)).sum::<usize>()
        }
        Frame::Ping | Frame::Pong | Frame::Noop | Frame::Close => 1,
    }
}

fn push_binary(body: &mut String, data: &[u8]) {
    body.push('b');
    BASE64.encode_string(data, body);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engineio::packet::PacketType;
    use std::sync::Arc;

    #[test]
    fn encodes_frames_joined_by_the_record_separator() {
        let frames = [
            Frame::text("hello"),
            Frame::Binary(Bytes::from_static(&[1, 2, 3, 4])),
            Frame::Ping,
            Frame::TextWithBinary("451-[]".into(), Arc::from([Bytes::from_static(b"\x01")])),
            Frame::Noop,
            Frame::Close,
        ];
        let body = encode(&frames);
        assert_eq!(
            &body[..],
            b"4hello\x1ebAQIDBA==\x1e2\x1e451-[]\x1ebAQ==\x1e6\x1e1"
        );
        assert_eq!(
            frames.iter().map(encoded_len).sum::<usize>() + frames.len() - 1,
            body.len()
        );
    }

    #[test]
    fn decodes_text_and_binary_packets() {
        let packets: Vec<_> = decode("4hello\x1ebAQIDBA==\x1e3").collect();
        assert_eq!(
            packets,
            vec![
                Ok(PayloadPacket::Text(TextPacket {
                    kind: PacketType::Message,
                    data: "hello"
                })),
                Ok(PayloadPacket::Binary(Bytes::from_static(&[1, 2, 3, 4]))),
                Ok(PayloadPacket::Text(TextPacket {
                    kind: PacketType::Pong,
                    data: ""
                })),
            ]
        );
    }

    #[test]
    fn rejects_bad_base64_and_empty_packets() {
        assert!(decode("b!!!").any(|p| p.is_err()));
        assert!(decode("4a\x1e\x1e4b").any(|p| p.is_err()));
        assert!(decode("").any(|p| p.is_err()));
    }
}
