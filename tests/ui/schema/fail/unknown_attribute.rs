// An event takes `#[event("name")]` and doc comments only: another attribute is refused at itself.
use ferrio::prelude::*;

#[schema(Chat, namespace = "/chat")]
pub mod chat {
    pub trait ClientToServer {
        #[serde(rename = "sayIt")]
        fn say(text: String);
    }
    pub trait ServerToClient {}
}

fn main() {}
