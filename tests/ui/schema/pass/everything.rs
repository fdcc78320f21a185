// Every supported use of a schema compiles: acks both ways, typed handlers with extractors,
// typed emits on a socket, a broadcast, a room, a fetched socket and `io.namespace::<N>()`, `emit_with_ack`
// with its typed ack (one socket and a broadcast), and the untyped escape hatch.
use ferrio::prelude::*;
use ferrio::schema::{Namespace, TS};

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct Equipment {
    pub id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct Receipt {
    pub id: String,
    pub price: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct Pong {
    pub at_ms: u32,
}

#[schema(Game, namespace = "/game")]
pub mod game {
    use super::*;

    /// What a player's page sends.
    pub trait ClientToServer {
        /// The client awaits a receipt.
        fn buy(item: Equipment) -> Receipt;
        #[event("clickGold")]
        fn click_gold();
        fn say(room: String, text: String, mood: Option<u8>);
    }

    /// What the server emits.
    pub trait ServerToClient {
        #[event("goldClicked")]
        fn gold_clicked(message: String);
        /// The server awaits a pong.
        fn ping() -> Pong;
        fn said(text: String);
    }
}

#[schema(Chat, namespace = "/chat")]
pub mod chat {
    pub trait ClientToServer {
        fn hello(name: String) -> String;
    }
    pub trait ServerToClient {
        fn welcome(name: String);
    }
}

use game::{Buy, ClickGold, Game, GoldClicked, Ping, Said, Say};

#[on(Buy)]
async fn buy(socket: Socket<Game>, item: Equipment) -> Receipt {
    let _ = socket.emit(GoldClicked(format!("you bought {}", item.id)));
    Receipt {
        id: item.id,
        price: 10,
    }
}

#[on(ClickGold)]
async fn click_gold(io: SocketIo, socket: Socket<Game>) -> Result<(), ferrio::AckError> {
    socket
        .emit(GoldClicked("I see you clicking that gold".into()))
        .unwrap();
    socket
        .broadcast()
        .emit(GoldClicked("someone clicked".into()))
        .unwrap();
    socket
        .to("lobby")
        .emit(GoldClicked("someone in the lobby clicked".into()))
        .unwrap();
    io.namespace::<Game>()
        .emit(GoldClicked("to everyone".into()))
        .unwrap();
    let pong: Pong = socket.emit_with_ack(Ping).await?;
    let _ = pong.at_ms;
    let replies: Vec<(Option<ferrio::Sid>, Result<Pong, ferrio::AckError>)> =
        socket.broadcast().emit_with_ack(Ping).unwrap().collect().await;
    let _ = replies;
    // The escape hatch: events outside the schema, named by strings.
    socket.untyped().emit("debug", ("anything", 1)).unwrap();
    socket.broadcast().untyped().emit("debug", 2).unwrap();
    // Sockets fetched from the cluster keep the namespace's types.
    if let Ok(players) = socket.to("lobby").fetch_sockets().await {
        for player in players {
            player.emit(GoldClicked("fetched".into())).unwrap();
        }
    }
    Ok(())
}

#[on(Say)]
fn say(State(prefix): State<String>, socket: Socket<Game>, room: String, text: String, mood: Option<u8>) {
    let _ = mood;
    let _ = socket.to(room).emit(Said(format!("{prefix}{text}")));
}

#[on(chat::Hello)]
fn hello(socket: Socket<chat::Chat>, name: String) -> Result<String, std::io::Error> {
    let _ = socket.emit(chat::Welcome(name.clone()));
    Ok(format!("hello, {name}"))
}

#[tokio::main]
async fn main() {
    let io = SocketIo::builder().state(String::from("> ")).build();
    let _ = io.namespace::<chat::Chat>().emit(chat::Welcome("all".into()));
    assert_eq!(Game::PATH, "/game");
    assert!(Game::typescript().contains("clickGold"));
}
