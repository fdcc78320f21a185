// The ack of a server-to-client event travels from the client: it must be Deserialize + TS.
use ferrio::prelude::*;
use ferrio::schema::TS;

#[derive(Debug, Clone, Serialize, TS)]
pub struct Pong {
    pub at_ms: u32,
}

#[schema(Game, namespace = "/game")]
pub mod game {
    use super::*;
    pub trait ClientToServer {}
    pub trait ServerToClient {
        fn ping() -> Pong;
    }
}

fn main() {}
