// Names socket.io reserves cannot be schema events: refused at the name.
use ferrio::prelude::*;

#[schema(Chat, namespace = "/chat")]
pub mod chat {
    pub trait ClientToServer {}
    pub trait ServerToClient {
        #[event("disconnecting")]
        fn leaving();
    }
}

fn main() {}
