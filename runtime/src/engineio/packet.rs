//! Engine.IO packets: the single-character packet types and their text encoding.

use std::fmt;

/// An Engine.IO packet type, as it appears in the first character of a text frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PacketType {
    Open,
    Close,
    Ping,
    Pong,
    Message,
    Upgrade,
    Noop,
}

impl PacketType {
    pub(crate) fn from_byte(byte: u8) -> Option<Self> {
        Some(match byte {
            b'0' => Self::Open,
            b'1' => Self::Close,
            b'2' => Self::Ping,
            b'3' => Self::Pong,
            b'4' => Self::Message,
            b'5' => Self::Upgrade,
            b'6' => Self::Noop,
            _ => return None,
        })
    }
}

/// A text packet received from a client, borrowed from the frame it came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TextPacket<'a> {
    pub(crate) kind: PacketType,
    pub(crate) data: &'a str,
}

/// Why a frame is not an Engine.IO packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InvalidPacket(pub(crate) &'static str);

impl fmt::Display for InvalidPacket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid engine.io packet: {}", self.0)
    }
}

impl std::error::Error for InvalidPacket {}

/// Splits a text frame into its packet type and data.
pub(crate) fn decode_text(frame: &str) -> Result<TextPacket<'_>, InvalidPacket> {
    let first = *frame
        .as_bytes()
        .first()
        .ok_or(InvalidPacket("empty packet"))?;
    let kind = PacketType::from_byte(first).ok_or(InvalidPacket("unknown packet type"))?;
    // The first byte is ASCII, so slicing after it stays on a char boundary.
    Ok(TextPacket {
        kind,
        data: &frame[1..],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_each_packet_type() {
        let cases = [
            ("0", PacketType::Open),
            ("1", PacketType::Close),
            ("2probe", PacketType::Ping),
            ("3", PacketType::Pong),
            ("4hello", PacketType::Message),
            ("5", PacketType::Upgrade),
            ("6", PacketType::Noop),
        ];
        for (frame, kind) in cases {
            assert_eq!(decode_text(frame).map(|p| p.kind), Ok(kind), "{frame}");
        }
        assert_eq!(decode_text("2probe").map(|p| p.data), Ok("probe"));
        assert_eq!(decode_text("4é").map(|p| p.data), Ok("é"));
    }

    #[test]
    fn rejects_empty_and_unknown_types() {
        assert!(decode_text("").is_err());
        assert!(decode_text("7").is_err());
        assert!(decode_text("x").is_err());
        assert!(decode_text("é").is_err());
    }
}
