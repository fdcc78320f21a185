// A server-to-client argument must be Serialize + TS: refused at its type in the schema.
use ferrio::prelude::*;
use ferrio::schema::TS;

#[derive(Debug, Clone, Deserialize, TS)]
pub struct GameState {
    pub gold: u32,
}

#[schema(Game, namespace = "/game")]
pub mod game {
    use super::*;
    pub trait ClientToServer {}
    pub trait ServerToClient {
        fn state(state: GameState);
    }
}

fn main() {}
