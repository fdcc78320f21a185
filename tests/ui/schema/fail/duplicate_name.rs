// An event declared twice in one direction is refused at the second declaration.
use ferrio::prelude::*;

#[schema(Chat, namespace = "/chat")]
pub mod chat {
    pub trait ClientToServer {
        fn hello(name: String);
        fn hello(name: String, times: u32);
    }
    pub trait ServerToClient {}
}

fn main() {}
