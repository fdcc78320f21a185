// An event of each direction with the same function name would both be one type: refused at the second.
use ferrio::prelude::*;

#[schema(Chat, namespace = "/chat")]
pub mod chat {
    pub trait ClientToServer {
        fn message(text: String);
    }
    pub trait ServerToClient {
        fn message(text: String);
    }
}

fn main() {}
