// The ack of a client-to-server event travels from the server: it must be Serialize + TS.
use ferrio::prelude::*;
use ferrio::schema::TS;

#[derive(Debug, Clone, Deserialize, TS)]
pub struct Receipt {
    pub price: u32,
}

#[schema(Game, namespace = "/game")]
pub mod game {
    use super::*;
    pub trait ClientToServer {
        fn buy(item: String) -> Receipt;
    }
    pub trait ServerToClient {}
}

fn main() {}
