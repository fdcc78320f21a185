// A schema's namespace starts with `/`: the error gives the fixed path.
use ferrio::prelude::*;

#[schema(Chat, namespace = "chat")]
pub mod chat {
    pub trait ClientToServer {}
    pub trait ServerToClient {}
}

fn main() {}
