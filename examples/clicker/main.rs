//! The clicker game of the first seed (Flask + Flask-SocketIO, the socket.io client 2.2.0).
//!
//! `GET /` serves the login form; `POST /game` reads its `username` and serves the game page.
//! Over Socket.IO the page registers its player, clicks gold and buys equipment; a server
//! task pushes each player's state to that player alone every second, by socket id, from
//! outside any handler. Run it with `scripts/run-example clicker`.

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
use serde_json::json;

/// One player's progress.
#[derive(Debug, Default, Clone, Serialize)]
struct Player {
    username: String,
    gold: u64,
    equipment: Equipment,
}

#[derive(Debug, Default, Clone, Serialize)]
struct Equipment {
    shovel: u64,
    excavator: u64,
}

impl Player {
    fn gold_per_second(&self) -> u64 {
        self.equipment.shovel + 10 * self.equipment.excavator
    }

    fn state(&self) -> serde_json::Value {
        json!({
            "username": self.username,
            "gold": self.gold,
            "equipment": self.equipment,
            "goldPerSecond": self.gold_per_second(),
        })
    }
}

/// Every registered player, by socket id.
#[derive(Clone, Default)]
struct Game(Arc<Mutex<HashMap<Sid, Player>>>);

impl Game {
    /// Changes a player, then sends it its new state; `None` if the socket never registered.
    fn update<R>(&self, socket: &Socket, change: impl FnOnce(&mut Player) -> R) -> Option<R> {
        let mut players = self.0.lock().ok()?;
        let player = players.get_mut(&socket.id())?;
        let result = change(player);
        let _ = socket.emit("gameState", player.state());
        Some(result)
    }
}

#[on("register")]
fn register(socket: Socket, State(game): State<Game>, username: String) {
    let player = Player {
        username,
        ..Player::default()
    };
    if let Ok(mut players) = game.0.lock() {
        let _ = socket.emit("gameState", player.state());
        players.insert(socket.id(), player);
    }
}

#[on("clickGold")]
fn click_gold(socket: Socket, State(game): State<Game>) {
    let _ = socket.emit("goldClicked", "I see you clicking that gold");
    game.update(&socket, |player| player.gold += 1);
}

#[on("buy")]
fn buy(socket: Socket, State(game): State<Game>, equipment_id: String) {
    let (price, name) = match equipment_id.as_str() {
        "shovel" => (10, "a shovel"),
        "excavator" => (100, "an excavator"),
        _ => {
            let _ = socket.emit("refused", format!("There is no {equipment_id} for sale"));
            return;
        }
    };
    let bought = game.update(&socket, |player| {
        if player.gold < price {
            return false;
        }
        player.gold -= price;
        match equipment_id.as_str() {
            "shovel" => player.equipment.shovel += 1,
            _ => player.equipment.excavator += 1,
        }
        true
    });
    if bought == Some(false) {
        let _ = socket.emit("refused", format!("Not enough gold for {name}"));
    }
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
        let states: Vec<(Sid, serde_json::Value)> = match game.0.lock() {
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
            let _ = io.to(sid).emit("gameState", state);
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

#[tokio::main]
async fn main() -> std::io::Result<()> {
    common::init_tracing();
    let game = Game::default();
    let io = SocketIo::builder()
        .serve_client(common::client_script(common::Client::V2))
        .state(game.clone())
        .build();
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
