// The schema the test client's compile-fail cases use: /shop with events in both directions,
// acknowledged or not, and /chat for another namespace's events.
use ferrio::prelude::*;
use ferrio::schema::TS;
use ferrio::testing::{TestClient, TestError};

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct Item {
    pub id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct Receipt {
    pub price: u32,
}

#[schema(Shop, namespace = "/shop")]
pub mod shop {
    use super::*;
    pub trait ClientToServer {
        fn buy(item: Item) -> Receipt;
        #[event("watchPrices")]
        fn watch_prices();
    }
    pub trait ServerToClient {
        #[event("priceChanged")]
        fn price_changed(item: String, price: u32);
        fn confirm(order: u32) -> bool;
    }
}

#[schema(Chat, namespace = "/chat")]
pub mod chat {
    pub trait ClientToServer {
        fn say(text: String);
    }
    pub trait ServerToClient {
        fn said(text: String);
    }
}
