// Event arguments are named (the name is the TypeScript parameter's): a pattern is refused.
use ferrio::prelude::*;

#[schema(Chat, namespace = "/chat")]
pub mod chat {
    pub trait ClientToServer {
        fn say((room, text): (String, String));
    }
    pub trait ServerToClient {}
}

fn main() {}
