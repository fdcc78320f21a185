//! The clicker game of the first seed (Flask + Flask-SocketIO, the socket.io client 2.2.0).
//!
//! `GET /` serves the login form; `POST /game` reads its `username` and serves the game page.
//! Over Socket.IO the page registers its player, clicks gold and buys equipment; a server
//! task pushes each player's state to that player alone every second, by socket id, from
//! outside any handler. The events are declared once in `schema.rs`: every handler and emit
//! here is checked against it by rustc. Run it with `scripts/run-example clicker`.

#[path = "../common.rs"]
mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Form;
use axum::response::Html;
use axum::routing::post;
use ferrio::Sid;
use ferrio::prelude::*;

mod schema;

use schema::clicker::{self, Clicker};
use schema::{Equipment, GameState, Inventory, Purchase};

/// One player's progress.
#[derive(Debug, Default, Clone)]
struct Player {
    username: String,
    gold: u64,
    equipment: Inventory,
}

impl Player {
    fn gold_per_second(&self) -> u64 {
        self.equipment.shovel * Equipment::Shovel.gold_per_second()
            + self.equipment.excavator * Equipment::Excavator.gold_per_second()
    }

    fn state(&self) -> clicker::PushState {
        clicker::PushState(GameState {
            username: self.username.clone(),
            gold: self.gold,
            equipment: self.equipment.clone(),
            gold_per_second: self.gold_per_second(),
        })
    }
}

/// Every registered player, by socket id.
#[derive(Clone, Default)]
struct Game(Arc<Mutex<HashMap<Sid, Player>>>);

impl Game {
    /// Changes a player, then sends it its new state; `None` if the socket never registered.
    fn update<R>(
        &self,
        socket: &Socket<Clicker>,
        change: impl FnOnce(&mut Player) -> R,
    ) -> Option<R> {
        let mut players = self.0.lock().ok()?;
        let player = players.get_mut(&socket.id())?;
        let result = change(player);
        let _ = socket.emit(player.state());
        Some(result)
    }
}

#[on(clicker::Register)]
fn register(socket: Socket<Clicker>, State(game): State<Game>, username: String) {
    let player = Player {
        username,
        ..Player::default()
    };
    if let Ok(mut players) = game.0.lock() {
        let _ = socket.emit(player.state());
        players.insert(socket.id(), player);
    }
}

#[on(clicker::ClickGold)]
fn click_gold(socket: Socket<Clicker>, State(game): State<Game>) {
    let _ = socket.emit(clicker::GoldClicked(
        "I see you clicking that gold".to_owned(),
    ));
    game.update(&socket, |player| player.gold += 1);
}

#[on(clicker::Buy)]
fn buy(socket: Socket<Clicker>, State(game): State<Game>, item: Equipment) -> Purchase {
    let purchase = game.update(&socket, |player| {
        let bought = player.gold >= item.price();
        if bought {
            player.gold -= item.price();
            match item {
                Equipment::Shovel => player.equipment.shovel += 1,
                Equipment::Excavator => player.equipment.excavator += 1,
            }
        }
        Purchase {
            bought,
            gold: player.gold,
        }
    });
    let purchase = purchase.unwrap_or(Purchase {
        bought: false,
        gold: 0,
    });
    if !purchase.bought {
        let reason = format!("Not enough gold for {}", item.described());
        let _ = socket.emit(clicker::Refused(reason));
    }
    purchase
}

#[on("disconnect")]
fn disconnect(socket: Socket, State(game): State<Game>) {
    if let Ok(mut players) = game.0.lock() {
        players.remove(&socket.id());
    }
}

/// Every second: each player's equipment digs, and each player gets its state, alone.
async fn dig(io: SocketIo, game: Game) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let states: Vec<(Sid, clicker::PushState)> = match game.0.lock() {
            Ok(mut players) => players
                .iter_mut()
                .map(|(sid, player)| {
                    player.gold += player.gold_per_second();
                    (*sid, player.state())
                })
                .collect(),
            Err(_) => return,
        };
        for (sid, state) in states {
            let _ = io.namespace::<Clicker>().to(sid).emit(state);
        }
    }
}

#[derive(Deserialize)]
struct Login {
    username: String,
}

/// `POST /game`: the game page, for the player who submitted the form.
async fn game_page(Form(login): Form<Login>) -> Html<String> {
    let page = std::fs::read_to_string(common::static_dir("clicker").join("game.html"))
        .unwrap_or_else(|error| format!("<p>The game page is missing: {error}</p>"));
    Html(page.replace("{{username}}", &escape_html(&login.username)))
}

fn escape_html(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

/// The game's Socket.IO server, its players in `game`.
fn server(builder: ferrio::SocketIoBuilder, game: Game) -> SocketIo {
    builder.state(game).build()
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    common::init_tracing();
    let builder = SocketIo::builder().serve_client(common::client_script(common::Client::V2));
    let game = Game::default();
    let io = server(builder, game.clone());
    tokio::spawn(dig(io.clone(), game));
    // Pages beside Socket.IO on one server: GET / and the static files, and the form's POST.
    let pages = axum::Router::new()
        .route("/game", post(game_page))
        .fallback_service(common::static_files("clicker"));
    let listener = common::listen(8080, "http").await?;
    ferrio::serve(listener, io)
        .with_fallback(pages)
        .with_graceful_shutdown(common::ctrl_c())
        .await
}

#[cfg(test)]
mod tests {
    use ferrio::testing::TestClient;

    use super::*;
    use crate::schema::clicker::{Buy, ClickGold, GoldClicked, PushState, Refused, Register};

    /// A player's page, typed by the schema: it sends only `ClientToServer` events.
    async fn player(io: &SocketIo, name: &str) -> TestClient<Clicker> {
        let client = TestClient::connect(io, Clicker).await.expect("connects");
        client.emit(Register(name.into())).await.expect("registers");
        client
    }

    async fn state(client: &mut TestClient<Clicker>) -> GameState {
        let PushState(state) = client.expect().await.expect("a state");
        state
    }

    #[tokio::test]
    async fn clicking_earns_gold_and_buying_spends_it() {
        let io = server(SocketIo::builder(), Game::default());
        let mut ann = player(&io, "ann").await;
        assert_eq!(
            state(&mut ann).await,
            GameState {
                username: "ann".into(),
                gold: 0,
                equipment: Inventory::default(),
                gold_per_second: 0,
            }
        );
        let refused = ann
            .emit_with_ack(Buy(Equipment::Shovel))
            .await
            .expect("a purchase");
        assert_eq!(
            refused,
            Purchase {
                bought: false,
                gold: 0
            }
        );
        assert_eq!(state(&mut ann).await.gold, 0, "the state, unchanged");
        let Refused(reason) = ann.expect().await.expect("told why");
        assert_eq!(reason, "Not enough gold for a shovel");
        for gold in 1..=10u64 {
            ann.emit(ClickGold).await.expect("clicks");
            let GoldClicked(seen) = ann.expect().await.expect("seen");
            assert_eq!(seen, "I see you clicking that gold");
            assert_eq!(state(&mut ann).await.gold, gold);
        }
        let bought = ann
            .emit_with_ack(Buy(Equipment::Shovel))
            .await
            .expect("a purchase");
        assert_eq!(
            bought,
            Purchase {
                bought: true,
                gold: 0
            }
        );
        assert_eq!(state(&mut ann).await.gold_per_second, 1);
    }

    /// The digging task pushes each player's state to that player alone, by socket id.
    #[tokio::test]
    async fn every_second_each_player_gets_its_own_state_alone() {
        let game = Game::default();
        let io = server(SocketIo::builder(), game.clone());
        tokio::spawn(dig(io.clone(), game));
        let mut ann = player(&io, "ann").await;
        let mut bob = player(&io, "bob").await;
        for (client, name) in [(&mut ann, "ann"), (&mut bob, "bob")] {
            assert_eq!(state(client).await.username, name, "the first state");
            assert_eq!(
                state(client).await.username,
                name,
                "{name} gets its own state pushed within 2 s"
            );
        }
    }
}
