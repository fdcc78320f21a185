// A payload type named like a generated event type would be shadowed by it: refused at the payload type.
use ferrio::prelude::*;
use ferrio::schema::TS;

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct Receipt {
    pub price: u32,
}

#[schema(Game, namespace = "/game")]
pub mod game {
    use super::*;
    pub trait ClientToServer {}
    pub trait ServerToClient {
        fn receipt(receipt: Receipt);
    }
}

fn main() {}
