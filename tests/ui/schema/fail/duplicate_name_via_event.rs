// Two functions whose wire names are equal (`say`, and `#[event("say")]`) are refused at the second name.
use ferrio::prelude::*;

#[schema(Chat, namespace = "/chat")]
pub mod chat {
    pub trait ClientToServer {
        fn say(text: String);
        #[event("say")]
        fn speak(text: String);
    }
    pub trait ServerToClient {}
}

fn main() {}
