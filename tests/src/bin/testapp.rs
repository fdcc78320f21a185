//! `testapp`: a server exercising the whole programmatic API, driven by the Node tests in
//! `tests/js/`. Each event asks the server to do one thing and acknowledges the outcome, so a
//! test can act as a client and check what every other client saw.
//!
//! `whoami` acknowledges the socket's id as the server knows it. `fetch-sockets` ({room,
//! greet}) describes the room's sockets across the cluster and greets each through its
//! fetched handle; every socket's data starts as `{member: "ferrio"}`, and `set-data`
//! (value) replaces it. `server-side-emit` ({event,
//! args}) sends an event to the other servers of a cluster; their `announce` listener tells
//! their own clients with `announced`. `server-side-call` ({event, args}) sends one and waits
//! for every server's answer: `{responses, error}`, responses sorted by JSON; the `ask`
//! listener answers `{member: "ferrio", args}`. `all-rooms` acknowledges every room of `/`
//! across the cluster, sorted.
//!
//! Environment: `PORT` (0 picks a free port), `PING_INTERVAL_MS` (300), `PING_TIMEOUT_MS`
//! (200), `MAX_PAYLOAD` (1000000), `TRANSPORTS` (`polling,websocket`), `CORS_ORIGINS` (a
//! comma-separated list of allowed origins; any origin when unset), `ALLOW_EIO3` (`0` refuses
//! the socket.io client 2.x), `REDIS_URL` (scale out through that Redis, with Node's adapter
//! protocol; `REDIS_ADAPTER=streams` uses the Streams adapter instead), `REDIS_CA_FILE` (the CA that signed a `rediss://` Redis's certificate),
//! `REDIS_CERT_FILE` and `REDIS_KEY_FILE` (a client certificate, for mutual TLS),
//! `REQUESTS_TIMEOUT_MS` (how long cluster queries wait, 5000), `REDIS_KEY` (the channels'
//! prefix, `socket.io`),
//! `PYTHON_QUEUE` (also deliver what python-socketio processes publish on that channel),
//! `ADAPTER=external` (without Redis: rooms through the adapter of `ferrio_tests`, written
//! against ferrio's public API alone), `RECOVERY_MS` (turns on connection state recovery with
//! that window; `RECOVERY_SKIP_CONNECT=1` skips the connect handler of recovered sockets,
//! `RECOVERY_MAX_PACKETS` and `RECOVERY_MAX_SESSIONS` set its limits).
//!
//! `state` acknowledges `{sid, recovered, rooms, data, connects}`; `emit-self` ({event, count,
//! delayMs}) emits to the socket from a task, after the delay.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use ferrio::admin::{Auth, Instrument};
use ferrio::{
    Ack, AckSender, ConnectError, ConnectionStateRecovery, DisconnectReason, Event, Payload,
    Recovered, Rooms, Sid, Socket, SocketData, SocketIo, State, Transport,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The disconnect reason of every socket that left, by id.
#[derive(Clone, Default)]
struct Disconnects(Arc<Mutex<HashMap<String, DisconnectReason>>>);

/// What `Recovered` said each time the connect handler ran, by socket id.
#[derive(Clone, Default)]
struct Connects(Arc<Mutex<HashMap<String, Vec<bool>>>>);

/// A counter shared by every socket.
#[derive(Clone, Default)]
struct SharedCount(Arc<AtomicU64>);

/// A counter in each socket's session.
#[derive(Default)]
struct SessionCount(u64);

#[derive(Deserialize, Default)]
struct Token {
    token: Option<String>,
}

#[derive(Deserialize, Default)]
struct Role {
    role: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Broadcast {
    #[serde(default)]
    to: Vec<String>,
    #[serde(default)]
    except: Vec<String>,
    #[serde(default)]
    include_self: bool,
    event: String,
}

#[derive(Deserialize)]
struct EmitTo {
    sid: String,
    event: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Call {
    #[serde(default)]
    room: Option<String>,
    event: String,
    timeout_ms: u64,
}

/// The arguments a request carries in its `args` field, emitted spread as separate arguments,
/// binary included.
struct Spread<'a> {
    payload: &'a Payload,
    args: &'a [Value],
}

impl<'a> Spread<'a> {
    fn of(payload: &'a Payload) -> Self {
        let args = payload
            .values()
            .first()
            .and_then(|request| request.get("args"))
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        Self { payload, args }
    }
}

impl Serialize for Spread<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeTuple;
        let mut args = serializer.serialize_tuple(self.args.len())?;
        for arg in self.args {
            args.serialize_element(&self.payload.with_binary(arg))?;
        }
        args.end()
    }
}

/// A client's reply to a server emit, binary included: `{ok: [args...]}`.
#[derive(Serialize)]
struct Reply<'a> {
    ok: &'a Payload,
}

fn sorted(rooms: impl IntoIterator<Item = ferrio::Room>) -> Vec<String> {
    let mut rooms: Vec<String> = rooms.into_iter().map(|r| r.to_string()).collect();
    rooms.sort();
    rooms
}

/// The socket data every socket of a ferrio member starts with; Node's members set
/// `{member: "node"}`.
#[derive(Clone, Serialize, Deserialize)]
struct Member {
    member: String,
}

async fn connect(
    socket: Socket,
    auth: Token,
    data: SocketData<Member>,
    Recovered(recovered): Recovered,
    State(connects): State<Connects>,
) -> Result<(), ConnectError> {
    if let Ok(mut connects) = connects.0.lock() {
        connects
            .entry(socket.id().to_string())
            .or_default()
            .push(recovered);
    }
    if auth.token.as_deref() == Some("bad") {
        return Err(ConnectError::new("bad token").with_data(json!({ "code": 42 })));
    }
    // A recovered socket has its data back.
    if !recovered {
        data.set(Member {
            member: "ferrio".into(),
        });
    }
    Ok(())
}

/// What the server knows of the socket: `{sid, recovered, rooms, data, connects}`, the last
/// being what `Recovered` said each time the connect handler ran for this id.
async fn state(socket: Socket, data: SocketData<Value>, State(connects): State<Connects>) -> Value {
    let runs = connects
        .0
        .lock()
        .ok()
        .and_then(|connects| connects.get(socket.id().as_str()).cloned())
        .unwrap_or_default();
    json!({
        "sid": socket.id(),
        "recovered": socket.recovered(),
        "rooms": sorted(socket.rooms()),
        "data": data.get(),
        "connects": runs,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EmitSelf {
    event: String,
    count: u32,
    #[serde(default)]
    delay_ms: u64,
}

/// Emits `event` to this socket `count` times (argument: 0, 1, ..), after `delayMs`, from a
/// task holding the socket: the emits of a socket that may have lost its connection meanwhile.
async fn emit_self(socket: Socket, request: EmitSelf) -> &'static str {
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(request.delay_ms)).await;
        for i in 0..request.count {
            if let Err(error) = socket.emit(&request.event, i) {
                eprintln!("emit-self: {error}");
            }
        }
    });
    "scheduled"
}

/// Replaces the socket's data with what the client sent.
async fn set_data(data: SocketData<Value>, value: Value) -> &'static str {
    data.set(value);
    "done"
}

async fn disconnect(socket: Socket, reason: DisconnectReason, State(log): State<Disconnects>) {
    println!("disconnect {} {reason}", socket.id());
    if let Ok(mut log) = log.0.lock() {
        log.insert(socket.id().to_string(), reason);
    }
}

// These return their acknowledgement, as `#[on]` functions do.
async fn join(socket: Socket, rooms: Rooms) -> Vec<String> {
    socket.join(rooms);
    sorted(socket.rooms())
}

async fn leave(socket: Socket, rooms: Rooms) -> Vec<String> {
    socket.leave(rooms);
    sorted(socket.rooms())
}

async fn leave_all(socket: Socket) -> Vec<String> {
    socket.leave_all();
    sorted(socket.rooms())
}

async fn rooms(socket: Socket) -> Vec<String> {
    sorted(socket.rooms())
}

#[derive(Deserialize)]
struct FetchRequest {
    room: String,
    greet: String,
}

/// Describes the sockets of a room across the cluster, sorted by id, and through each
/// fetched handle sends it `greet` with its id and makes it join `greeted`.
async fn fetch_sockets(io: SocketIo, request: FetchRequest, ack: AckSender) {
    let mut sockets = match io.to(request.room).fetch_sockets().await {
        Ok(sockets) => sockets,
        Err(error) => return drop(ack.send(json!({ "error": error.to_string() }))),
    };
    sockets.sort_by_key(|socket| socket.id());
    let described: Vec<Value> = sockets
        .iter()
        .map(|socket| {
            json!({
                "id": socket.id(),
                "rooms": sorted(socket.rooms().to_vec()),
                "auth": socket.handshake().auth,
                "eio": socket.handshake().query.get("EIO"),
                "address": socket.handshake().address,
                "issued": socket.handshake().issued,
                "data": socket.raw_data(),
                "member": socket.data::<Member>().ok().map(|data| data.member),
            })
        })
        .collect();
    for socket in &sockets {
        let _ = socket.emit(&request.greet, socket.id());
        socket.join("greeted");
    }
    let _ = ack.send(described);
}

async fn room_sockets(io: SocketIo, room: String, ack: AckSender) {
    let _ = match io.to(room).socket_ids().await {
        Ok(ids) => {
            let mut ids: Vec<String> = ids.iter().map(Sid::to_string).collect();
            ids.sort();
            ack.send(ids)
        }
        Err(error) => ack.send(json!({ "error": error.to_string() })),
    };
}

async fn broadcast(socket: Socket, request: Broadcast, payload: Payload, ack: AckSender) {
    let operator = match (request.include_self, request.to.is_empty()) {
        // Flask-SocketIO's `broadcast=True`: the whole namespace, the sender too.
        (true, true) => socket.nsp(),
        (true, false) => socket.within(request.to),
        (false, _) => socket.to(request.to),
    };
    let result = operator
        .except(request.except)
        .emit(&request.event, Spread::of(&payload));
    let _ = ack.send(if result.is_ok() { "done" } else { "failed" });
}

async fn emit_to_sid(io: SocketIo, request: EmitTo, payload: Payload, ack: AckSender) {
    let result = io
        .to(request.sid)
        .emit(&request.event, Spread::of(&payload));
    let _ = ack.send(if result.is_ok() { "done" } else { "failed" });
}

async fn server_emit(io: SocketIo, request: Broadcast, payload: Payload, ack: AckSender) {
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(10)).await;
        let _ = io.emit(&request.event, Spread::of(&payload));
    });
    let _ = ack.send("scheduled");
}

async fn call(socket: Socket, request: Call, payload: Payload, ack: AckSender) {
    let timeout = Duration::from_millis(request.timeout_ms);
    let reply = socket
        .emit_with_ack_timeout(&request.event, &Spread::of(&payload), timeout)
        .await;
    let _ = match reply {
        Ok(reply) => ack.send(&Reply { ok: &reply }),
        Err(error) if error.is_timeout() => ack.send(json!({ "error": "timeout" })),
        Err(error) => ack.send(json!({ "error": error.to_string() })),
    };
}

/// Emits `{event, args}` with an ack to every socket of `request.room`, the caller included.
fn ask_room(socket: &Socket, request: Call, payload: &Payload) -> Option<ferrio::AckStream> {
    socket
        .within(request.room.unwrap_or_default())
        .timeout(Duration::from_millis(request.timeout_ms))
        .emit_with_ack(&request.event, Spread::of(payload))
        .ok()
}

async fn call_room(socket: Socket, request: Call, payload: Payload, ack: AckSender) {
    let Some(replies) = ask_room(&socket, request, &payload) else {
        let _ = ack.send("failed");
        return;
    };
    /// One socket's answer, binary kept.
    #[derive(Serialize)]
    struct Entry {
        sid: Option<Sid>,
        #[serde(skip_serializing_if = "Option::is_none")]
        ok: Option<Payload>,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    }
    let mut replies: Vec<Entry> = replies
        .collect()
        .await
        .into_iter()
        .map(|(sid, reply)| match reply {
            Ok(payload) => Entry {
                sid,
                ok: Some(payload),
                error: None,
            },
            Err(error) if error.is_timeout() => Entry {
                sid,
                ok: None,
                error: Some("timeout".to_owned()),
            },
            Err(error) => Entry {
                sid,
                ok: None,
                error: Some(error.to_string()),
            },
        })
        .collect();
    replies.sort_by_key(|entry| entry.sid);
    let _ = ack.send(replies);
}

/// Asks every socket of a room, as Node's `await io.to(room).timeout(ms).emitWithAck(..)`:
/// `{ok: [replies]}`, or `{error, replies}` when a socket did not answer.
async fn call_room_all(socket: Socket, request: Call, payload: Payload, ack: AckSender) {
    let Some(replies) = ask_room(&socket, request, &payload) else {
        let _ = ack.send("failed");
        return;
    };
    let _ = match replies.all().await {
        Ok(replies) => ack.send(json!({ "ok": replies })),
        Err(missing) => ack.send(json!({
            "error": missing.to_string(),
            "replies": missing.replies(),
        })),
    };
}

/// Sends `{event, args}` to the other servers of the cluster.
async fn server_side_emit(io: SocketIo, request: Broadcast, payload: Payload, ack: AckSender) {
    let result = io.server_side_emit(&request.event, Spread::of(&payload));
    let _ = ack.send(if result.is_ok() { "done" } else { "failed" });
}

/// Sends `{event, args}` to the other servers and acknowledges their answers.
async fn server_side_call(io: SocketIo, request: Broadcast, payload: Payload, ack: AckSender) {
    let answers = match io.server_side_emit_with_ack(&request.event, Spread::of(&payload)) {
        Ok(answers) => answers.await,
        Err(error) => {
            return drop(ack.send(json!({ "responses": [], "error": error.to_string() })));
        }
    };
    let (mut responses, error) = match answers {
        Ok(responses) => (responses, None),
        Err(incomplete) => {
            let error = incomplete.to_string();
            (incomplete.into_partial(), Some(error))
        }
    };
    responses.sort_by_key(Value::to_string);
    let _ = ack.send(json!({ "responses": responses, "error": error }));
}

async fn all_rooms(io: SocketIo, ack: AckSender) {
    let _ = match io.all_rooms("/").await {
        Ok(rooms) => ack.send(sorted(rooms)),
        Err(error) => ack.send(json!({ "error": error.to_string() })),
    };
}

async fn disconnect_me(socket: Socket) {
    socket.disconnect();
}

async fn close_me(socket: Socket) {
    socket.close_connection();
}

async fn close_connections(io: SocketIo, room: String, ack: AckSender) {
    io.to(room).close_connections();
    let _ = ack.send("done");
}

async fn disconnect_room(io: SocketIo, room: String, ack: AckSender) {
    io.to(room).disconnect();
    let _ = ack.send("done");
}

async fn close_room(io: SocketIo, room: String, ack: AckSender) {
    io.to(room.as_str()).leave(room.as_str());
    let _ = ack.send("done");
}

async fn session_count(socket: Socket, ack: AckSender) {
    let count = socket.session().update(|count: &mut SessionCount| {
        count.0 += 1;
        count.0
    });
    let _ = ack.send(count);
}

async fn shared_count(State(count): State<SharedCount>, ack: AckSender) {
    let _ = ack.send(count.0.fetch_add(1, Ordering::Relaxed) + 1);
}

/// A typed payload with binary at several depths: `Bytes` fields receive the attachments in
/// place and serialize back to attachments.
#[derive(Serialize, Deserialize)]
struct Parcel {
    label: String,
    cover: Bytes,
    inner: Inner,
}

#[derive(Serialize, Deserialize)]
struct Inner {
    pages: Vec<Bytes>,
    sleeve: Option<Sleeve>,
}

#[derive(Serialize, Deserialize)]
struct Sleeve {
    note: Bytes,
}

/// `typed-binary(parcel, raw)`: acknowledges the parcel as it was deserialized and the length
/// of `raw`, a binary argument taken as `Vec<u8>`.
async fn typed_binary(parcel: Parcel, raw: Vec<u8>) -> Ack<(Parcel, usize)> {
    Ack((parcel, raw.len()))
}

/// `relay-value(value)`: any JSON, binary included, taken as a `serde_json::Value`; emitted
/// back as `relayed` and acknowledged, the binary going out as binary.
async fn relay_value(socket: Socket, value: Value) -> Value {
    let _ = socket.emit("relayed", &value);
    value
}

async fn binary(ack: AckSender) {
    let _ = ack.send(json_binary());
}

fn json_binary() -> impl Serialize {
    #[derive(Serialize)]
    struct Nested {
        buf: Bytes,
    }
    #[derive(Serialize)]
    #[serde(untagged)]
    enum Item {
        Binary(Bytes),
        Text(&'static str),
    }
    #[derive(Serialize)]
    struct Reply {
        nested: Nested,
        list: Vec<Item>,
    }
    Reply {
        nested: Nested {
            buf: Bytes::from_static(&[1, 2, 3]),
        },
        list: vec![
            Item::Binary(Bytes::from_static(&[4, 5])),
            Item::Text("text"),
        ],
    }
}

async fn server_id(socket: Socket, ack: AckSender) {
    let _ = ack.send(socket.id());
}

async fn echo(payload: Payload, ack: AckSender) {
    let _ = ack.send(&payload);
}

async fn last_disconnect(State(log): State<Disconnects>, sid: String, ack: AckSender) {
    let reason = log.0.lock().ok().and_then(|log| log.get(&sid).copied());
    let _ = ack.send(reason);
}

async fn message(socket: Socket, payload: Payload) {
    let _ = socket.send(&payload);
}

async fn unknown(socket: Socket, Event(event): Event, payload: Payload) {
    let mut args = vec![Value::from(event)];
    args.extend(payload.values().iter().cloned());
    let _ = socket.emit(
        "unknown",
        &Spread {
            payload: &payload,
            args: &args,
        },
    );
}

async fn admin_connect(auth: Role) -> Result<(), ConnectError> {
    match auth.role.as_deref() {
        Some("admin") => Ok(()),
        _ => Err(ConnectError::new("admins only")),
    }
}

/// The one `#[on]`-style handler of this app (the builder gathers it beside the others): a
/// server event in the DSL form, answered across the cluster.
#[ferrio::on_server_event("ask")]
fn ask(payload: Payload) -> Value {
    json!({ "member": "ferrio", "args": payload.values() })
}

async fn whoami(ack: AckSender) {
    let _ = ack.send("admin");
}

/// Redis settings: the prefix `REDIS_KEY`; `REDIS_CA_FILE` trusts a private CA for a
/// `rediss://` URL, and
/// `REDIS_CERT_FILE` with `REDIS_KEY_FILE` present a client certificate (mutual TLS).
fn redis_settings(
    url: &str,
) -> Result<ferrio::RedisBuilder, Box<dyn std::error::Error + Send + Sync>> {
    let mut redis = ferrio::Redis::builder(url)
        .requests_timeout(Duration::from_millis(env_or("REQUESTS_TIMEOUT_MS", 5000)));
    if let Ok(prefix) = std::env::var("REDIS_KEY") {
        redis = redis.prefix(&prefix);
    }
    if let Ok(ca) = std::env::var("REDIS_CA_FILE") {
        redis = redis.root_certificate(std::fs::read(ca)?);
    }
    if let (Ok(cert), Ok(key)) = (
        std::env::var("REDIS_CERT_FILE"),
        std::env::var("REDIS_KEY_FILE"),
    ) {
        redis = redis.client_certificate(std::fs::read(cert)?, std::fs::read(key)?);
    }
    Ok(redis)
}

/// Connection state recovery for `RECOVERY_MS`, with `RECOVERY_SKIP_CONNECT`,
/// `RECOVERY_MAX_PACKETS` and `RECOVERY_MAX_SESSIONS` when set.
fn recovery(ms: &str) -> ConnectionStateRecovery {
    let mut recovery = ConnectionStateRecovery::default()
        .max_disconnection_duration(Duration::from_millis(ms.parse().unwrap_or(120_000)))
        .skip_connect_handler(std::env::var("RECOVERY_SKIP_CONNECT").as_deref() == Ok("1"));
    if let Ok(packets) = std::env::var("RECOVERY_MAX_PACKETS") {
        recovery = recovery.max_packets(packets.parse().unwrap_or(10_000));
    }
    if let Ok(sessions) = std::env::var("RECOVERY_MAX_SESSIONS") {
        recovery = recovery.max_sessions(sessions.parse().unwrap_or(100_000));
    }
    recovery
}

/// The Admin UI's instrumentation on `/ops` (the app has an `/admin` of its own): `ADMIN=open`
/// without auth, `ADMIN=basic` with the user `admin` and the password `changeit`; `ADMIN_READONLY=1`, `ADMIN_PRODUCTION=1` and
/// `ADMIN_SERVER_ID` as set.
fn admin(mode: &str) -> Result<Instrument, ferrio::admin::InvalidHash> {
    let auth = match mode {
        "basic" => Auth::basic(
            "admin",
            "$2a$10$BjMzjHifo..oU1bOQ.mAHOOxwDSfuTR7XEdG6ShZujgsP5KNu.LBq",
        )?,
        _ => Auth::None,
    };
    let mut instrument = Instrument::new(auth)
        .namespace("/ops")
        .readonly(std::env::var("ADMIN_READONLY").as_deref() == Ok("1"))
        .production(std::env::var("ADMIN_PRODUCTION").as_deref() == Ok("1"));
    if let Ok(id) = std::env::var("ADMIN_SERVER_ID") {
        instrument = instrument.server_id(id);
    }
    Ok(instrument)
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn transports() -> Vec<Transport> {
    let names = std::env::var("TRANSPORTS").unwrap_or_else(|_| "polling,websocket".to_owned());
    names
        .split(',')
        .filter_map(|name| match name.trim() {
            "polling" => Some(Transport::Polling),
            "websocket" => Some(Transport::Websocket),
            _ => None,
        })
        .collect()
}

fn cors() -> ferrio::Cors {
    match std::env::var("CORS_ORIGINS") {
        Ok(list) => ferrio::Cors::origins(list.split(',').map(str::trim)),
        Err(_) => ferrio::Cors::Any,
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let mut builder = SocketIo::builder();
    let redis_url = std::env::var("REDIS_URL").ok();
    let streams = std::env::var("REDIS_ADAPTER").as_deref() == Ok("streams");
    let mut redis = None;
    if let Some(url) = &redis_url {
        let settings = redis_settings(url).map_err(std::io::Error::other)?;
        if streams {
            // The prefix names the stream too, as the Node members of the tests read it.
            let settings = match std::env::var("REDIS_KEY") {
                Ok(prefix) => settings.stream(&prefix),
                Err(_) => settings,
            };
            let connected = settings.connect_streams().await;
            builder = builder.adapter(connected.map_err(std::io::Error::other)?.adapter());
        } else {
            let connected = settings.connect().await.map_err(std::io::Error::other)?;
            builder = builder.adapter(connected.adapter());
            redis = Some(connected);
        }
    } else if std::env::var("ADAPTER").as_deref() == Ok("external") {
        builder = builder.adapter(ferrio_tests::external_adapter::ExternalAdapter::new);
    }
    if let Ok(ms) = std::env::var("RECOVERY_MS") {
        builder = builder.connection_state_recovery(recovery(&ms));
    }
    if let Ok(mode) = std::env::var("ADMIN") {
        builder = builder.instrument(admin(&mode).map_err(std::io::Error::other)?);
    }
    let io = builder
        .ping_interval(Duration::from_millis(env_or("PING_INTERVAL_MS", 300)))
        .ping_timeout(Duration::from_millis(env_or("PING_TIMEOUT_MS", 200)))
        .max_payload(env_or("MAX_PAYLOAD", 1_000_000) as usize)
        .transports(transports())
        .allow_eio3(std::env::var("ALLOW_EIO3").as_deref() != Ok("0"))
        .cors(cors())
        // Another server's `announce` (server-side emit) is told to this server's clients.
        .on_server_event("announce", |io: SocketIo, payload: Payload| async move {
            let _ = io.of("/").local().emit("announced", &payload);
        })
        .state(Disconnects::default())
        .state(Connects::default())
        .state(SharedCount::default())
        .namespace("/", |ns| {
            ns.on_connect(connect)
                .on_disconnect(disconnect)
                .on("join", join)
                .on("leave", leave)
                .on("leave-all", leave_all)
                .on("rooms", rooms)
                .on("room-sockets", room_sockets)
                .on("fetch-sockets", fetch_sockets)
                .on("set-data", set_data)
                .on("broadcast", broadcast)
                .on("emit-to-sid", emit_to_sid)
                .on("server-emit", server_emit)
                .on("server-side-emit", server_side_emit)
                .on("server-side-call", server_side_call)
                .on("all-rooms", all_rooms)
                .on("call", call)
                .on("call-room", call_room)
                .on("call-room-all", call_room_all)
                .on("disconnect-me", disconnect_me)
                .on("close-me", close_me)
                .on("close-connections", close_connections)
                .on("disconnect-room", disconnect_room)
                .on("close-room", close_room)
                .on("session-count", session_count)
                .on("shared-count", shared_count)
                .on("binary", binary)
                .on("typed-binary", typed_binary)
                .on("relay-value", relay_value)
                .on("echo", echo)
                .on("whoami", server_id)
                .on("state", state)
                .on("emit-self", emit_self)
                .on("last-disconnect", last_disconnect)
                .on("message", message)
                .on_any(unknown)
        })
        .namespace("/admin", |ns| {
            ns.on_connect(admin_connect).on("whoami", whoami)
        })
        .build();
    if let (Some(redis), Ok(channel)) = (&redis, std::env::var("PYTHON_QUEUE")) {
        redis
            .accept_python_queue(&io, &channel)
            .await
            .map_err(std::io::Error::other)?;
    }
    let listener =
        tokio::net::TcpListener::bind(("127.0.0.1", env_or("PORT", 3000) as u16)).await?;
    println!("ferrio listening on http://{}", listener.local_addr()?);
    ferrio::serve(listener, io)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
