// `#[schema]` takes the type name and `namespace = "/ns"`: another key is named, with the one that exists.
use ferrio::prelude::*;

#[schema(Chat, path = "/chat")]
pub mod chat {
    pub trait ClientToServer {}
    pub trait ServerToClient {}
}

fn main() {}
