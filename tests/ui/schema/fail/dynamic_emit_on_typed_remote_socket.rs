// A socket fetched from a typed namespace emits event values: the string form is refused.
use ferrio::prelude::*;
use ferrio::schema::TS;

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct Equipment {
    pub id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct Receipt {
    pub price: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct Pong {
    pub at_ms: u32,
}

#[schema(Game, namespace = "/game")]
pub mod game {
    use super::*;
    pub trait ClientToServer {
        fn buy(item: Equipment) -> Receipt;
        #[event("clickGold")]
        fn click_gold();
    }
    pub trait ServerToClient {
        #[event("goldClicked")]
        fn gold_clicked(message: String);
        fn ping() -> Pong;
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

use game::{ClickGold, Game};

#[on(ClickGold)]
async fn click_gold(io: SocketIo) {
    if let Ok(players) = io.namespace::<Game>().fetch_sockets().await {
        for player in players {
            let _ = player.emit("goldClicked", "someone clicked");
        }
    }
}

fn main() {}
