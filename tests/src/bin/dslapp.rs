//! `dslapp`: every handler written with the `#[on]` DSL and gathered automatically, driven by
//! `tests/js/dsl-*.test.mjs`. `ONLY=game` builds a server with the `/game` handlers alone,
//! listed explicitly.
//!
//! Environment: `PORT` (0 picks a free port), `PING_INTERVAL_MS` (300), `PING_TIMEOUT_MS`
//! (200), `ONLY`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
// Handlers of a dependency crate are gathered like the program's own.
use ferrio::prelude::*;
use ferrio_test_shop as _;
use serde_json::{Value, json};

/// The disconnect reason of every socket that left, by id.
#[derive(Clone, Default)]
struct Disconnects(Arc<Mutex<HashMap<String, DisconnectReason>>>);

/// An app-wide counter.
#[derive(Clone, Default)]
struct Visits(Arc<AtomicU64>);

#[derive(Default)]
struct Count(u64);

/// The order in which `seq` handlers started, per socket.
#[derive(Default)]
struct Starts(Vec<u64>);

#[derive(Deserialize)]
struct Login {
    user: Option<String>,
}

#[derive(Deserialize)]
struct Item {
    name: String,
}

#[derive(Serialize)]
struct Receipt {
    id: String,
}

#[on("connect")]
fn connect(socket: Socket, login: Option<Login>) -> Result<(), String> {
    let user = login
        .and_then(|l| l.user)
        .unwrap_or_else(|| "anonymous".to_owned());
    if user == "banned" {
        return Err("banned".to_owned());
    }
    let _ = socket.emit("welcome", json!({ "user": user }));
    Ok(())
}

#[on("disconnect")]
fn disconnect(socket: Socket, reason: DisconnectReason, State(log): State<Disconnects>) {
    if let Ok(mut log) = log.0.lock() {
        log.insert(socket.id().to_string(), reason);
    }
}

#[on("last-disconnect")]
fn last_disconnect(sid: String, State(log): State<Disconnects>) -> Option<DisconnectReason> {
    log.0.lock().ok().and_then(|log| log.get(&sid).copied())
}

#[on("sum")]
fn sum(a: i64, b: i64, c: Option<i64>) -> i64 {
    a + b + c.unwrap_or(0)
}

#[on("multi")]
async fn multi(socket: Socket, a: String, b: String, c: Item) {
    let _ = socket.emit("got", (a, b, c.name));
}

#[on("pair")]
fn pair(x: String) -> (String, usize) {
    let len = x.len();
    (x, len)
}

#[on("checked")]
async fn checked(item: Item) -> Result<Receipt, &'static str> {
    if item.name.is_empty() {
        return Err("empty item name");
    }
    Ok(Receipt {
        id: format!("receipt-{}", item.name),
    })
}

#[on("later")]
async fn later(ack: AckSender, ms: u64) {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    let _ = ack.send("late");
}

/// Acknowledges, then fails: the error handler must not acknowledge a second time.
#[on("ack-then-fail")]
fn ack_then_fail(ack: AckSender) -> Result<(), String> {
    let _ = ack.send("acked");
    Err("failed after acknowledging".to_owned())
}

#[on("raw")]
fn raw(first: Value, all: Payload) -> (Value, usize) {
    (first, all.len())
}

#[on("bin")]
fn bin(data: Bytes) -> Bytes {
    data.iter().rev().copied().collect::<Vec<u8>>().into()
}

#[on("count")]
fn count(count: SessionState<Count>) -> u64 {
    count.update(|count| {
        count.0 += 1;
        count.0
    })
}

#[on("visits")]
fn visits(State(visits): State<Visits>) -> u64 {
    visits.0.fetch_add(1, Ordering::Relaxed) + 1
}

#[on("whoami")]
fn whoami(io: SocketIo, socket: Socket) -> Option<String> {
    io.socket("/", socket.id()).map(|s| s.id().to_string())
}

#[on("message")]
fn message(socket: Socket, text: String) {
    let _ = socket.send(format!("echo: {text}"));
}

#[on("*")]
fn caught(socket: Socket, Event(name): Event, all: Payload) {
    let _ = socket.emit("caught", (name, all.len()));
}

#[on("seq")]
async fn seq(starts: SessionState<Starts>, n: u64, delay_ms: u64) -> u64 {
    starts.update(|s| s.0.push(n));
    tokio::time::sleep(Duration::from_millis(delay_ms)).await;
    n
}

#[on("seq-log")]
fn seq_log(starts: SessionState<Starts>) -> Vec<u64> {
    starts.update(|s| s.0.clone())
}

/// Reports the error to the client, and acknowledges the failed event with the same report.
#[on_error]
fn errors(socket: &Socket, error: HandlerError) -> serde_json::Value {
    let report = json!({
        "event": error.event(),
        "extraction": error.is_extraction(),
        "message": error.source_error().to_string(),
    });
    let _ = socket.emit("error-seen", &report);
    report
}

#[derive(Deserialize)]
struct Pass {
    pass: Option<String>,
}

#[derive(Serialize)]
struct Denied {
    code: u32,
}

#[on("connect", namespace = "/vip")]
fn vip(pass: Pass) -> Result<(), Denied> {
    match pass.pass.as_deref() {
        Some("gold") => Ok(()),
        _ => Err(Denied { code: 7 }),
    }
}

/// `/members`: an extractor of the app's own, and a payload type that shares its name with
/// one of ferrio's extractors.
mod members {
    use ferrio::prelude::*;
    use ferrio::{BoxError, FromContext, SocketContext};
    use serde_json::Value;

    /// The user named in the auth payload, for every kind of handler: a connection without
    /// one is refused.
    pub(crate) struct User(String);

    impl<C: SocketContext> FromContext<C> for User {
        fn from_context(context: &C, _: usize) -> Result<Self, BoxError> {
            match context.socket().auth().get("user").and_then(Value::as_str) {
                Some(name) => Ok(User(name.to_owned())),
                None => Err("not logged in".into()),
            }
        }
    }

    /// A payload, though it is called `Event`: it is `Deserialize`, not an extractor.
    #[derive(Deserialize)]
    pub(crate) struct Event {
        title: String,
    }

    #[on("connect", namespace = "/members")]
    fn connect(socket: Socket, User(name): User) {
        let _ = socket.emit("hello", name);
    }

    #[on("post", namespace = "/members")]
    fn post(User(name): User, event: Event, seats: u32) -> String {
        format!("{name} posts {} for {seats}", event.title)
    }

    #[on("disconnect", namespace = "/members")]
    fn disconnect(User(name): User, reason: DisconnectReason) {
        println!("member {name} left: {reason}");
    }
}

/// The `/chat` namespace as one shared object, like a Flask-SocketIO `Namespace` class.
#[derive(Clone)]
struct Chat {
    prefix: String,
    said: Arc<AtomicU64>,
}

#[namespace("/chat")]
impl Chat {
    #[on("join")]
    async fn join(&self, socket: Socket, room: String) -> Vec<String> {
        socket.join(room);
        let mut rooms: Vec<String> = socket.rooms().iter().map(|r| r.to_string()).collect();
        rooms.sort();
        rooms
    }

    #[on("say")]
    fn say(&self, socket: Socket, room: String, text: String) -> u64 {
        let _ = socket
            .to(room)
            .emit("said", format!("{} {text}", self.prefix));
        self.said.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// The seed's clicker game.
mod game {
    use ferrio::prelude::*;

    #[derive(Deserialize)]
    pub(crate) struct Equipment {
        id: String,
    }

    #[derive(Serialize)]
    pub(crate) struct Bought {
        id: String,
        price: u32,
    }

    #[on("clickGold", namespace = "/game")]
    pub(crate) fn click_gold(socket: Socket) {
        let _ = socket.emit("goldClicked", "I see you clicking that gold");
    }

    #[on_error(namespace = "/game")]
    pub(crate) fn game_errors(socket: Socket, error: HandlerError) {
        let _ = socket.emit(
            "game-error",
            (error.event(), error.source_error().to_string()),
        );
    }

    #[on("buy", namespace = "/game")]
    pub(crate) async fn buy(item: Equipment) -> Result<Bought, String> {
        match item.id.as_str() {
            "sword" | "shield" => Ok(Bought {
                id: item.id,
                price: 10,
            }),
            other => Err(format!("unknown equipment `{other}`")),
        }
    }
}

/// A second handler for `sum`, registered by hand when `DUPLICATE=1`: the server must refuse
/// to start and name both.
mod duplicate {
    pub(crate) async fn duplicate_sum(a: i64) -> Result<(), String> {
        Err(format!("never registered: {a}"))
    }
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let builder = SocketIo::builder()
        .ping_interval(Duration::from_millis(env_or("PING_INTERVAL_MS", 300)))
        .ping_timeout(Duration::from_millis(env_or("PING_TIMEOUT_MS", 200)))
        .state(Disconnects::default())
        .state(Visits::default())
        .state(Chat {
            prefix: "[chat]".to_owned(),
            said: Arc::default(),
        });
    let builder = match std::env::var("ONLY").as_deref() {
        Ok("game") => builder.handlers(ferrio::handlers![game::click_gold, game::buy]),
        _ => builder,
    };
    let builder = match std::env::var("DUPLICATE").as_deref() {
        Ok("1") => builder.namespace("/", |ns| ns.on("sum", duplicate::duplicate_sum)),
        _ => builder,
    };
    let io = match builder.try_build() {
        Ok(io) => io,
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(1);
        }
    };
    let listener =
        tokio::net::TcpListener::bind(("127.0.0.1", env_or("PORT", 3000) as u16)).await?;
    println!("ferrio listening on http://{}", listener.local_addr()?);
    ferrio::serve(listener, io)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
