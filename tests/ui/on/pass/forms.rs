// Every supported handler form compiles: async and plain fns, extractors in any order,
// optional and raw arguments, acks by return value, Result, tuples, special events,
// stacked routes, error handlers and a namespace class.
use ferrio::prelude::*;
use serde_json::Value;

#[derive(Deserialize)]
struct Equipment {
    id: String,
}

#[derive(Serialize)]
struct Receipt {
    id: String,
}

#[derive(Clone, Default)]
struct Shop;

#[derive(Default)]
struct Clicks(u32);

#[on("buy", namespace = "/game")]
async fn buy(item: Equipment, socket: Socket, State(_shop): State<Shop>) -> Receipt {
    let _ = socket.emit("bought", &item.id);
    Receipt { id: item.id }
}

#[on("clickGold", namespace = "/game")]
fn click_gold(socket: Socket, clicks: SessionState<Clicks>) {
    clicks.update(|c| c.0 += 1);
    let _ = socket.emit("goldClicked", "I see you clicking that gold");
}

#[on("my event")]
#[on("my event", namespace = "/test")]
fn several(a: String, b: u32, c: Option<Value>, all: Payload) -> (String, usize) {
    let _ = (b, c);
    (a, all.len())
}

#[on("later")]
async fn later(ack: AckSender, io: SocketIo) {
    let _ = io.emit("tick", ());
    let _ = ack.send("done");
}

#[on("checked")]
async fn checked(n: i64) -> Result<i64, String> {
    if n < 0 { Err("negative".to_owned()) } else { Ok(n) }
}

#[on("bytes")]
fn binary(data: bytes::Bytes) -> bytes::Bytes {
    data
}

#[on("connect")]
async fn connect(socket: Socket, auth: Option<Value>) -> Result<(), ConnectError> {
    let _ = (socket, auth);
    Ok(())
}

#[on("connect", namespace = "/game")]
fn game_connect(token: String) -> Result<(), String> {
    if token.is_empty() { Err("no token".to_owned()) } else { Ok(()) }
}

#[on("disconnect")]
fn disconnect(reason: DisconnectReason, socket: Socket) {
    let _ = (reason, socket);
}

#[on("*")]
fn anything(Event(name): Event, payload: Payload) {
    let _ = (name, payload);
}

#[on_error]
fn errors(socket: &Socket, error: HandlerError) {
    let _ = socket.emit("error", error.to_string());
}

#[on_error(namespace = "/game")]
async fn game_errors(error: HandlerError, socket: Socket) {
    let _ = (error, socket);
}

#[derive(Clone)]
struct Chat {
    prefix: String,
}

#[namespace("/chat")]
impl Chat {
    #[on("say")]
    fn say(&self, socket: Socket, text: String) {
        let _ = socket.broadcast().emit("said", format!("{}{text}", self.prefix));
    }

    #[on("join")]
    async fn join(&self, socket: Socket, room: String) -> Vec<String> {
        socket.join(room);
        socket.rooms().iter().map(|r| r.to_string()).collect()
    }
}

#[tokio::main]
async fn main() {
    let io = SocketIo::builder()
        .state(Shop)
        .state(Chat { prefix: String::new() })
        .build();
    let only = SocketIo::builder()
        .handlers(ferrio::handlers![buy, click_gold, Chat])
        .state(Shop)
        .state(Chat { prefix: String::new() })
        .build();
    let _ = (io, only);
}
