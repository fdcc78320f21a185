//! The chat of the second and fifth seeds (Flask-SocketIO rooms and `user-connected`, the
//! socket.io client 4.x), mounted in an axum `Router` beside the page, with CORS open to any
//! origin as the seed does. This is the README's main example: `scripts/run-example chat`.
//!
//! - `/chat`: `join` and `leave` a room, announced to the room with `send`; `chat` messages
//!   go to everyone in the room; a client's plain `send()` is printed, as the seed does.
//! - `/user`: `user-connected` is broadcast to everyone as `new-user`, asking each client to
//!   acknowledge with its user's name; the new user then learns how many did and who is
//!   online (`seen-by`).
//!
//! Connection state recovery is on: a page whose network drops for less than two minutes comes
//! back in its room, with the messages it missed; the page says which happened.
//!
//! With `REDIS_URL` set, several chat processes share their rooms through that Redis.
//!
//! The Socket.IO Admin UI is served at `/admin-ui/` (user `admin`, password `changeit`; set
//! `ADMIN_PASSWORD_HASH` to a bcrypt hash of another), and shows the chat's users live.

#[path = "../common.rs"]
mod common;

use std::time::Duration;

use ferrio::admin::{AdminUi, Auth, Instrument};
use ferrio::prelude::*;
use ferrio::{ConnectionStateRecovery, Cors, Transport};
use serde_json::json;

#[derive(Deserialize)]
struct Membership {
    username: String,
    room: String,
}

#[derive(Deserialize)]
struct Message {
    room: String,
    text: String,
}

/// The name a socket joined with: socket data, so that it comes back with a recovered socket.
#[derive(Clone, Default, Serialize, Deserialize)]
struct Username(String);

#[on("join", namespace = "/chat")]
fn join(socket: Socket, name: SocketData<Username>, joining: Membership) {
    name.set(Username(joining.username.clone()));
    socket.join(joining.room.as_str());
    let _ = socket
        .within(joining.room.as_str())
        .send(format!("{} has entered the room.", joining.username));
}

#[on("leave", namespace = "/chat")]
fn leave(socket: Socket, leaving: Membership) {
    let _ = socket
        .within(leaving.room.as_str())
        .send(format!("{} has left the room.", leaving.username));
    socket.leave(leaving.room.as_str());
}

#[on("chat", namespace = "/chat")]
fn chat(socket: Socket, name: SocketData<Username>, message: Message) {
    let username = name
        .get()
        .map(|name| name.0)
        .unwrap_or_else(|| "someone".to_owned());
    let _ = socket.within(message.room.as_str()).emit(
        "chat",
        json!({ "username": username, "text": message.text }),
    );
}

/// What a client's `send()` sends: the seed prints it.
#[on("message", namespace = "/chat")]
fn message(message: serde_json::Value) {
    println!("received message: {message}");
}

#[derive(Deserialize, Serialize)]
struct NewUser {
    username: String,
}

#[on("user-connected", namespace = "/user")]
async fn user_connected(socket: Socket, io: SocketIo, user: NewUser) {
    let replies = io
        .of("/user")
        .timeout(Duration::from_secs(2))
        .emit_with_ack("new-user", &user);
    let Ok(replies) = replies else { return };
    // The server-side callback: runs once every client acknowledged, or the timeout passed.
    // Each page answers with its user's name, so the newcomer learns who was already online.
    let answers: Vec<Payload> = replies
        .collect()
        .await
        .into_iter()
        .filter_map(|(_, reply)| reply.ok())
        .collect();
    let online: Vec<String> = answers
        .iter()
        .filter_map(|answer| answer.arg(0).ok())
        .collect();
    tracing::info!(username = %user.username, seen = answers.len(), "new user announced");
    let _ = socket.emit(
        "seen-by",
        json!({ "count": answers.len(), "users": online }),
    );
}

/// The bcrypt hash of the Admin UI's default password, `changeit`.
const CHANGEIT: &str = "$2a$10$BjMzjHifo..oU1bOQ.mAHOOxwDSfuTR7XEdG6ShZujgsP5KNu.LBq";

/// The Admin UI's instrumentation: the user `admin`, with `ADMIN_PASSWORD_HASH` or `changeit`.
fn instrument() -> Instrument {
    let hash = std::env::var("ADMIN_PASSWORD_HASH").unwrap_or_else(|_| CHANGEIT.to_owned());
    let auth = Auth::basic("admin", hash).unwrap_or_else(|error| {
        eprintln!("ADMIN_PASSWORD_HASH: {error}");
        std::process::exit(1);
    });
    Instrument::new(auth)
}

/// The Admin UI's front end and icons, installed from npm in `examples/node_modules`.
fn admin_ui() -> AdminUi {
    let modules = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node_modules");
    AdminUi::from_dir(modules.join("@socket.io/admin-ui/ui/dist"))
        .and_then(|ui| ui.icons(modules.join("@mdi/font")))
        .unwrap_or_else(|error| {
            eprintln!("{error}\nInstall the Admin UI first: `npm ci` in examples/ (scripts/run-example does it).");
            std::process::exit(1);
        })
}

/// The chat's Socket.IO server.
fn server(builder: ferrio::SocketIoBuilder) -> SocketIo {
    builder
        .instrument(instrument())
        // A page whose network drops comes back in its room, with the messages it missed.
        .connection_state_recovery(ConnectionStateRecovery::default())
        .cors(Cors::Any)
        .transports([Transport::Polling, Transport::Websocket])
        .build()
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    common::init_tracing();
    let mut builder = SocketIo::builder();
    // REDIS_URL spreads the chat over several processes sharing one Redis.
    if let Ok(url) = std::env::var("REDIS_URL") {
        let redis = ferrio::Redis::connect(&url)
            .await
            .map_err(std::io::Error::other)?;
        builder = builder.adapter(redis.adapter());
    }
    let builder = builder.serve_client(common::client_script(common::Client::V4));
    let io = server(builder.serve_admin_ui(admin_ui()));
    let app = axum::Router::new()
        .route_service("/socket.io/", io.clone())
        .route_service("/socket.io/socket.io.js", io.clone())
        .route_service("/admin-ui/", io.clone())
        .route_service("/admin-ui/{*file}", io.clone())
        .fallback_service(common::static_files("chat"));
    let listener = common::listen(8080, "http").await?;
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            common::ctrl_c().await;
            io.close().await;
        })
        .await
}

#[cfg(test)]
mod tests {
    use ferrio::testing::{ReceivedEvent, TestClient};
    use serde_json::{Value, json};

    use super::*;

    /// An event's first argument (recovery appends an offset after it).
    fn first(event: &ReceivedEvent) -> Value {
        event.arg(0).expect("an argument")
    }

    async fn joined(io: &SocketIo, username: &str, room: &str) -> TestClient {
        let mut client = TestClient::connect(io, "/chat").await.expect("connects");
        client
            .emit("join", json!({ "username": username, "room": room }))
            .await
            .expect("joins");
        let entered = client.expect_event("message").await.expect("announced");
        assert_eq!(first(&entered), format!("{username} has entered the room."));
        client
    }

    #[tokio::test]
    async fn rooms_keep_conversations_apart() {
        let io = server(SocketIo::builder());
        let mut ann = joined(&io, "ann", "lobby").await;
        let mut bob = joined(&io, "bob", "lobby").await;
        let mut cat = joined(&io, "cat", "games").await;
        let seen = ann.expect_event("message").await.expect("bob's entrance");
        assert_eq!(first(&seen), "bob has entered the room.");

        ann.emit("chat", json!({ "room": "lobby", "text": "hi" }))
            .await
            .expect("chats");
        for client in [&mut ann, &mut bob] {
            let line = client
                .expect_event("chat")
                .await
                .expect("the lobby hears it");
            assert_eq!(first(&line), json!({ "username": "ann", "text": "hi" }));
        }
        cat.expect_nothing(std::time::Duration::from_millis(100))
            .await
            .expect("games hears nothing");

        bob.emit("leave", json!({ "username": "bob", "room": "lobby" }))
            .await
            .expect("leaves");
        let left = ann.expect_event("message").await.expect("told");
        assert_eq!(first(&left), "bob has left the room.");
    }

    #[tokio::test]
    async fn a_new_user_learns_who_saw_it_arrive() {
        let io = server(SocketIo::builder());
        let mut ann = TestClient::connect(&io, "/user").await.expect("connects");
        let mut bob = TestClient::connect(&io, "/user").await.expect("connects");
        bob.emit("user-connected", json!({ "username": "bob" }))
            .await
            .expect("arrives");
        for (client, name) in [(&mut ann, "ann"), (&mut bob, "bob")] {
            let newcomer = client.expect_event("new-user").await.expect("asked");
            assert_eq!(first(&newcomer), json!({ "username": "bob" }));
            newcomer.ack(name).expect("answers with its name");
        }
        let seen = bob.expect_event("seen-by").await.expect("told");
        let mut seen = first(&seen);
        seen["users"]
            .as_array_mut()
            .expect("users")
            .sort_by_key(|user| user.to_string());
        assert_eq!(seen, json!({ "count": 2, "users": ["ann", "bob"] }));
    }
}
