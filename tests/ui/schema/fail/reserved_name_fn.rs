// A function named like a reserved event (`disconnect`) is refused at its name.
use ferrio::prelude::*;

#[schema(Chat, namespace = "/chat")]
pub mod chat {
    pub trait ClientToServer {
        fn disconnect();
    }
    pub trait ServerToClient {}
}

fn main() {}
