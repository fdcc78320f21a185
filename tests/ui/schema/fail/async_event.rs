// An event declaration is a plain `fn`: `async` is refused at the keyword.
use ferrio::prelude::*;

#[schema(Chat, namespace = "/chat")]
pub mod chat {
    pub trait ClientToServer {
        async fn say(text: String);
    }
    pub trait ServerToClient {}
}

fn main() {}
