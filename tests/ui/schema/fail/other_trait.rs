// A schema declares events only in `ClientToServer` and `ServerToClient`: another trait is refused at its name.
use ferrio::prelude::*;

#[schema(Chat, namespace = "/chat")]
pub mod chat {
    pub trait ClientToServer {}
    pub trait ServerToClient {}
    pub trait InterServer {
        fn sync();
    }
}

fn main() {}
