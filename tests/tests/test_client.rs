//! `ferrio::testing::TestClient` against a server built in the test: connecting with auth and
//! being refused, emits both ways with and without acknowledgements, binary, order, rooms and
//! broadcasts among several clients, disconnections from either side, and the errors of waits
//! that fail.

use std::time::Duration;

use bytes::Bytes;
use ferrio::testing::TestClient;
use ferrio::{ConnectError, DisconnectReason, Socket, SocketIo, State};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize, Default)]
struct Token {
    token: Option<String>,
}

/// The disconnect reasons the server saw, in order.
#[derive(Clone, Default)]
struct Left(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

fn server() -> SocketIo {
    SocketIo::builder()
        .state(Left::default())
        .namespace("/game", |ns| {
            ns.on_connect(|auth: Token| async move {
                match auth.token.as_deref() {
                    Some("bad") => {
                        Err(ConnectError::new("not allowed").with_data(json!({ "code": 7 })))
                    }
                    _ => Ok(()),
                }
            })
            .on_disconnect(
                |reason: DisconnectReason, State(left): State<Left>| async move {
                    if let Ok(mut left) = left.0.lock() {
                        left.push(reason.to_string());
                    }
                },
            )
            .on("join", |socket: Socket, room: String| async move {
                socket.join(room.as_str());
                "joined"
            })
            .on(
                "say",
                |socket: Socket, room: String, text: String| async move {
                    let _ = socket
                        .within(room.as_str())
                        .emit("said", (socket.id(), text));
                },
            )
            .on("count", |socket: Socket, n: u32| async move {
                for i in 0..n {
                    let _ = socket.emit("tick", i);
                }
            })
            .on("buy", |item: String| async move {
                json!({ "item": item, "price": 3 })
            })
            .on("bytes", |socket: Socket, data: Bytes| async move {
                let _ = socket.emit("bytes", (data.clone(), "back"));
                data
            })
            .on("ask", |socket: Socket| async move {
                let answer = match socket.emit_with_ack("question", "yes?").await {
                    Ok(reply) => reply.arg::<String>(0).unwrap_or_else(|e| e.to_string()),
                    Err(error) => error.to_string(),
                };
                let _ = socket.emit("answered", answer);
            })
            .on("kick", |socket: Socket| async move { socket.disconnect() })
            .on("left", |State(left): State<Left>| async move {
                left.0.lock().map(|left| left.clone()).unwrap_or_default()
            })
        })
        .build()
}

#[tokio::test]
async fn connects_with_auth_and_sees_a_refusal() {
    let io = server();
    let client = TestClient::builder(&io, "/game")
        .auth(json!({ "token": "good" }))
        .connect()
        .await
        .expect("connects");
    assert!(
        io.socket("/game", client.id()).is_some(),
        "the server knows the socket by the client's id"
    );

    let refused = TestClient::builder(&io, "/game")
        .auth(json!({ "token": "bad" }))
        .connect()
        .await
        .expect_err("refused");
    assert_eq!(
        refused.refusal(),
        Some(&json!({ "message": "not allowed", "data": { "code": 7 } }))
    );

    let unknown = TestClient::connect(&io, "/nowhere")
        .await
        .expect_err("no such namespace");
    assert_eq!(
        unknown.refusal(),
        Some(&json!({ "message": "Invalid namespace" }))
    );
}

#[tokio::test]
async fn events_arrive_in_order_with_typed_raw_and_binary_arguments() {
    let io = server();
    let mut client = TestClient::connect(&io, "/game").await.expect("connects");
    client.emit("count", 3).await.expect("emits");
    for i in 0..3u32 {
        let tick = client.expect_event("tick").await.expect("a tick");
        assert_eq!(tick.arg::<u32>(0).expect("a number"), i);
    }

    let echoed: Bytes = client
        .emit_with_ack("bytes", Bytes::from_static(b"\x00\xff"))
        .await
        .expect("acknowledged");
    assert_eq!(echoed, Bytes::from_static(b"\x00\xff"));
    let event = client.next_event().await.expect("the emit");
    assert_eq!(event.name(), "bytes");
    assert_eq!(
        event.arg::<Bytes>(0).expect("binary"),
        Bytes::from_static(b"\x00\xff")
    );
    assert_eq!(event.payload().len(), 2);

    let receipt: serde_json::Value = client
        .emit_with_ack("buy", "sword")
        .await
        .expect("a receipt");
    assert_eq!(receipt, json!({ "item": "sword", "price": 3 }));
}

#[tokio::test]
async fn answers_the_servers_emit_with_ack() {
    let io = server();
    let mut client = TestClient::connect(&io, "/game").await.expect("connects");
    client.emit("ask", ()).await.expect("emits");
    let question = client.expect_event("question").await.expect("asked");
    assert!(question.wants_ack());
    assert_eq!(question.arg::<String>(0).expect("text"), "yes?");
    question.ack("certainly").expect("answers");
    let answered = client
        .expect_event("answered")
        .await
        .expect("the server got the answer");
    assert_eq!(answered.arg::<String>(0).expect("text"), "certainly");

    client.emit("count", 1).await.expect("emits");
    let tick = client.expect_event("tick").await.expect("a tick");
    assert!(!tick.wants_ack());
    assert!(
        tick.ack(()).is_err(),
        "an event that asks for nothing cannot be acknowledged"
    );
}

#[tokio::test]
async fn rooms_and_broadcasts_reach_exactly_their_members() {
    let io = server();
    let mut ann = TestClient::connect(&io, "/game").await.expect("ann");
    let mut bob = TestClient::connect(&io, "/game").await.expect("bob");
    let mut eve = TestClient::connect(&io, "/game").await.expect("eve");
    for client in [&mut ann, &mut bob] {
        let joined: String = client.emit_with_ack("join", "red").await.expect("joins");
        assert_eq!(joined, "joined");
    }
    ann.emit("say", ("red", "hello")).await.expect("says");
    let sender = ann.id();
    for client in [&mut ann, &mut bob] {
        let said = client.expect_event("said").await.expect("hears");
        assert_eq!(said.arg::<String>(0).expect("sender"), sender.as_str());
        assert_eq!(said.arg::<String>(1).expect("text"), "hello");
    }
    eve.expect_nothing(Duration::from_millis(100))
        .await
        .expect("eve is in no room");
}

#[tokio::test]
async fn either_side_disconnects_and_the_reason_is_told() {
    let io = server();
    let mut kicked = TestClient::connect(&io, "/game").await.expect("connects");
    kicked.emit("kick", ()).await.expect("emits");
    assert_eq!(
        kicked.disconnected().await.expect("kicked"),
        "io server disconnect"
    );

    let leaving = TestClient::connect(&io, "/game").await.expect("connects");
    leaving.disconnect().await.expect("leaves");
    let mut watcher = TestClient::connect(&io, "/game").await.expect("connects");
    let mut left: Vec<String> = Vec::new();
    for _ in 0..50 {
        left = watcher.emit_with_ack("left", ()).await.expect("the log");
        if left.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        left,
        ["server namespace disconnect", "client namespace disconnect"]
    );
}

#[tokio::test]
async fn a_failed_wait_says_what_was_awaited_and_what_came() {
    let io = server();
    let mut client = TestClient::builder(&io, "/game")
        .timeout(Duration::from_millis(100))
        .connect()
        .await
        .expect("connects");
    let nothing = client.next_event().await.expect_err("nothing was sent");
    assert!(nothing.is_timeout());
    assert_eq!(
        nothing.to_string(),
        "awaiting an event on /game: nothing came within 100ms"
    );

    client.emit("count", 1).await.expect("emits");
    let other = client
        .expect_event("said")
        .await
        .expect_err("a tick came first");
    assert_eq!(
        other.to_string(),
        "awaiting the event `said` on /game: got event `tick` [0]"
    );

    let no_ack = client
        .emit_with_ack::<String>("count", 1)
        .await
        .expect_err("count acknowledges nothing");
    assert!(no_ack.is_timeout());
    assert_eq!(
        no_ack.to_string(),
        "awaiting the acknowledgement of `count` on /game: it did not come within 100ms; queued meanwhile: event `tick` [0]"
    );
    let wrong = client
        .emit_with_ack::<u32>("buy", "sword")
        .await
        .expect_err("not a number");
    assert!(
        wrong
            .to_string()
            .starts_with("awaiting the acknowledgement of `buy` as a `u32`: invalid type"),
        "{wrong}"
    );
}
