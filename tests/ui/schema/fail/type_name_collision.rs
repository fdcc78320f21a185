// Two functions whose generated types would both be `MyEvent` are refused at the second function.
use ferrio::prelude::*;

#[schema(Chat, namespace = "/chat")]
pub mod chat {
    pub trait ClientToServer {
        fn my_event();
        #[event("x")]
        fn my__event();
    }
    pub trait ServerToClient {}
}

fn main() {}
