// A client-to-server argument must be Deserialize + TS: refused at its type in the schema.
use ferrio::prelude::*;
use ferrio::schema::TS;

#[derive(Debug, Clone, Serialize, TS)]
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
