// An empty event name is refused at the literal.
use ferrio::prelude::*;

#[schema(Chat, namespace = "/chat")]
pub mod chat {
    pub trait ClientToServer {
        #[event("")]
        fn nothing();
    }
    pub trait ServerToClient {}
}

fn main() {}
