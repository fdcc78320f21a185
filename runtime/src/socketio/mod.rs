//! The Socket.IO packet codec (protocol revision 5): packets, and binary attachments.

mod binary;
pub(crate) mod packet;

pub(crate) use binary::placeholder_index;
