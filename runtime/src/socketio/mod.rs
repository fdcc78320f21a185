//! The Socket.IO packet codec (protocol revision 5): packets, and binary attachments.

pub(crate) mod args;
mod binary;
pub(crate) mod lent;
pub(crate) mod packet;

pub(crate) use binary::{kept_placeholder, placeholder_index, write_arg_array};

use crate::engineio::Frame;

impl From<packet::Encoded> for Frame {
    /// The frame that carries an encoded packet, attachments kept together with their text.
    fn from(encoded: packet::Encoded) -> Self {
        if encoded.attachments.is_empty() {
            Frame::Text(encoded.text)
        } else {
            Frame::TextWithBinary(encoded.text, encoded.attachments.into())
        }
    }
}
