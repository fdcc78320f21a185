//! The `/test` namespace of the fourth seed (Miguel Grinberg's Flask-SocketIO example, the
//! socket.io client 2.2.0): `my_event` is answered with `my_response`, carrying the data and a
//! per-session receive count, and a server callback runs when the client acknowledges.
//!
//! Served over HTTPS when `CERT_FILE` and `KEY_FILE` name PEM files, as the seed does with
//! `certfile` / `keyfile`. Run it with `scripts/run-example test_namespace`.

#[path = "../common.rs"]
mod common;

use ferrio::prelude::*;
use serde_json::json;

/// `session['receive_count']`.
#[derive(Default)]
struct ReceiveCount(u64);

#[derive(Deserialize)]
struct MyEvent {
    data: String,
}

#[on("connect", namespace = "/test")]
fn test_connect(socket: Socket) {
    println!("Client connected");
    let _ = socket.emit(
        "my_response",
        json!({ "data": "Server connected", "count": 0 }),
    );
}

#[on("my_event", namespace = "/test")]
async fn test_message(socket: Socket, count: SessionState<ReceiveCount>, message: MyEvent) {
    let count = count.update(|count| {
        count.0 += 1;
        count.0
    });
    let response = json!({ "data": message.data, "count": count });
    // `emit(..., callback=test_callback)`: the callback runs when the client acknowledges.
    if socket.emit_with_ack("my_response", response).await.is_ok() {
        println!("This is my callback test!");
        let _ = socket.emit("callback_ran", json!({ "count": count }));
    }
}

#[on("disconnect", namespace = "/test")]
fn test_disconnect() {
    println!("Client disconnected");
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    common::init_tracing();
    let io = SocketIo::builder()
        .serve_client(common::client_script(common::Client::V2))
        .build();
    let tls = match (std::env::var_os("CERT_FILE"), std::env::var_os("KEY_FILE")) {
        (Some(cert), Some(key)) => Some(ferrio::tls_config_from_pem(cert, key)?),
        _ => None,
    };
    let listener = common::listen(5000, if tls.is_some() { "https" } else { "http" }).await?;
    let server = ferrio::serve(listener, io)
        .with_fallback(common::static_files("test_namespace"))
        .with_graceful_shutdown(common::ctrl_c());
    match tls {
        Some(config) => server.with_tls(config).await,
        None => server.await,
    }
}

#[cfg(test)]
mod tests {
    use ferrio::testing::TestClient;
    use serde_json::{Value, json};

    use super::*;

    /// `my_event` and its answer, acknowledged so that the server's callback runs.
    async fn exchange(client: &mut TestClient, data: &str) -> Value {
        client
            .emit("my_event", json!({ "data": data }))
            .await
            .expect("emits");
        let response = client.expect_event("my_response").await.expect("answered");
        let body = response.arg::<Value>(0).expect("a response");
        assert!(
            response.wants_ack(),
            "the server awaits the client's callback"
        );
        response.ack(()).expect("acknowledges");
        let ran = client
            .expect_event("callback_ran")
            .await
            .expect("the callback ran");
        assert_eq!(
            ran.arg::<Value>(0).expect("a count")["count"],
            body["count"]
        );
        body
    }

    #[tokio::test]
    async fn each_session_counts_its_own_events() {
        let io = SocketIo::builder().build();
        let mut first = TestClient::connect(&io, "/test").await.expect("connects");
        let hello = first.expect_event("my_response").await.expect("greeted");
        assert_eq!(
            hello.arg::<Value>(0).expect("a response"),
            json!({ "data": "Server connected", "count": 0 })
        );
        assert_eq!(
            exchange(&mut first, "one").await,
            json!({ "data": "one", "count": 1 })
        );
        assert_eq!(
            exchange(&mut first, "two").await,
            json!({ "data": "two", "count": 2 })
        );

        let mut second = TestClient::connect(&io, "/test").await.expect("connects");
        second.expect_event("my_response").await.expect("greeted");
        assert_eq!(
            exchange(&mut second, "mine").await,
            json!({ "data": "mine", "count": 1 })
        );
        assert_eq!(exchange(&mut first, "three").await["count"], 3);
    }
}
