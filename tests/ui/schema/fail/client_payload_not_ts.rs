// A client-to-server argument without TS is refused at its type: the typings need it.
use ferrio::prelude::*;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Equipment {
    pub id: String,
}

#[schema(Game, namespace = "/game")]
pub mod game {
    use super::*;
    pub trait ClientToServer {
        fn buy(item: Equipment);
    }
    pub trait ServerToClient {}
}

fn main() {}
