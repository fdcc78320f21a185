// Each item of an event trait is a function: a constant is refused at itself.
use ferrio::prelude::*;

#[schema(Chat, namespace = "/chat")]
pub mod chat {
    pub trait ClientToServer {
        const MAX: usize;
        fn say(text: String);
    }
    pub trait ServerToClient {}
}

fn main() {}
