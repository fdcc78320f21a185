// One extractor system: an extractor of the user's own works in every kind of `#[on]`
// handler and in closures given to the builder; payload types named like ferrio's
// extractors stay payloads (the compiler decides, by trait); closures take the same
// parameters and return acknowledgements as `#[on]` functions do.
use ferrio::prelude::*;
use ferrio::{BoxError, FromContext, SocketContext};

/// The user the client logged in as.
struct User(String);

impl<C: SocketContext> FromContext<C> for User {
    fn from_context(context: &C, _: usize) -> Result<Self, BoxError> {
        let name = context.socket().auth()["user"].as_str().ok_or("not logged in")?;
        Ok(User(name.to_owned()))
    }
}

/// Only for events: the event's name, upper-cased.
struct Shout(String);

impl FromContext<ferrio::EventContext> for Shout {
    fn from_context(context: &ferrio::EventContext, _: usize) -> Result<Self, BoxError> {
        Ok(Shout(context.event().to_uppercase()))
    }
}

mod named_like_extractors {
    use ferrio::prelude::*;

    // Payloads that share a name with ferrio's extractors.
    #[derive(Deserialize)]
    pub struct State {
        pub level: u32,
    }

    #[derive(Deserialize)]
    pub struct Event {
        pub title: String,
    }

    #[on("connect", namespace = "/named")]
    fn connect(event: Event) -> Result<(), String> {
        if event.title.is_empty() { Err("untitled".into()) } else { Ok(()) }
    }

    #[on("level", namespace = "/named")]
    fn level(state: State, event: Event) -> String {
        format!("{} at {}", event.title, state.level)
    }
}

#[on("connect", namespace = "/users")]
fn connect(User(name): User, socket: Socket) {
    let _ = socket.emit("hello", name);
}

#[on("post", namespace = "/users")]
fn post(User(name): User, Shout(event): Shout, text: String, ack: AckSender) {
    let _ = ack.send(format!("{name} {event}: {text}"));
}

#[on("disconnect", namespace = "/users")]
fn disconnect(User(name): User, reason: DisconnectReason) {
    let _ = (name, reason);
}

#[derive(Serialize)]
struct Receipt {
    item: String,
}

async fn buy(User(name): User, item: String, count: u32) -> Result<ferrio::Ack<Receipt>, String> {
    if count == 0 {
        return Err(format!("{name} bought nothing"));
    }
    Ok(ferrio::Ack(Receipt { item }))
}

async fn count(items: Vec<String>) -> usize {
    items.len()
}

async fn greet(User(name): User) -> Result<(), ConnectError> {
    if name == "banned" { Err("banned".into()) } else { Ok(()) }
}

fn main() {
    let _io = SocketIo::builder()
        .namespace("/shop", |ns| {
            ns.on_connect(greet)
                .on("buy", buy)
                .on("count", count)
                .on("pair", |a: String, b: String| async move { (a, b) })
                .on_disconnect(|User(_name): User, _reason: DisconnectReason| async {})
        })
        .build();
}

// A server event listener takes the same extractors that need no socket, and its arguments.
#[on_server_event("count-players")]
async fn count_players(io: SocketIo, Event(name): Event, namespace: String) -> Result<usize, String> {
    let _ = name;
    Ok(io.sockets(&namespace).len())
}
