// An event declaration cannot be generic: refused at the generics.
use ferrio::prelude::*;

#[schema(Chat, namespace = "/chat")]
pub mod chat {
    pub trait ClientToServer {
        fn say<T>(text: T);
    }
    pub trait ServerToClient {}
}

fn main() {}
