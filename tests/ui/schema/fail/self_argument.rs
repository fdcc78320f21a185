// An event declaration takes no `self`: refused at the receiver.
use ferrio::prelude::*;

#[schema(Chat, namespace = "/chat")]
pub mod chat {
    pub trait ClientToServer {
        fn say(&self, text: String);
    }
    pub trait ServerToClient {}
}

fn main() {}
