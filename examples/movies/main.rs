//! The movie app of the third seed (AngularJS with Flask-SocketIO, the socket.io client 4.x):
//! `identify` remembers the user's name, and `connect` emits `on_connect` with `logged_in`.
//!
//! Flask keeps `session` in a cookie, so being identified outlives the socket: here `GET /`
//! gives the browser a `movies_uid` cookie, and the names are kept by that cookie. Run it with
//! `scripts/run-example movies`.

#[path = "../common.rs"]
mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use ferrio::Sid;
use ferrio::prelude::*;
use serde_json::json;

const COOKIE_NAME: &str = "movies_uid";

/// Usernames by browser (cookie).
#[derive(Clone, Default)]
struct Users(Arc<Mutex<HashMap<String, String>>>);

/// The browser's id, from the cookie the handshake request carried.
fn browser_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .find_map(|cookie| {
            cookie
                .trim()
                .strip_prefix(COOKIE_NAME)?
                .strip_prefix('=')
                .map(str::to_owned)
        })
}

#[on("connect", namespace = "/movies")]
fn on_connect(socket: Socket, State(users): State<Users>) {
    let logged_in = browser_id(&socket.handshake().headers)
        .is_some_and(|id| users.0.lock().is_ok_and(|users| users.contains_key(&id)));
    let _ = socket.emit("on_connect", json!({ "logged_in": logged_in }));
}

#[on("identify", namespace = "/movies")]
fn identify(socket: Socket, State(users): State<Users>, user: String) {
    println!("Identify: {user}");
    if let (Some(id), Ok(mut users)) = (browser_id(&socket.handshake().headers), users.0.lock()) {
        users.insert(id, user.clone());
    }
    let _ = socket.emit("identified", json!({ "username": user }));
}

/// `GET /`: the page, and a browser id cookie for a browser without one.
async fn index(headers: HeaderMap) -> impl IntoResponse {
    let page = std::fs::read_to_string(common::static_dir("movies").join("index.html"))
        .unwrap_or_else(|error| format!("<p>The page is missing: {error}</p>"));
    let mut response = Html(page).into_response();
    if browser_id(&headers).is_none() {
        let cookie = format!(
            "{COOKIE_NAME}={}; Path=/; HttpOnly; SameSite=Lax",
            Sid::random()
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().insert(SET_COOKIE, value);
        }
    }
    response
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    common::init_tracing();
    let io = SocketIo::builder()
        .serve_client(common::client_script(common::Client::V4))
        .state(Users::default())
        .build();
    let pages = axum::Router::new()
        .route("/", get(index))
        .fallback_service(common::static_files("movies"));
    let listener = common::listen(8080, "http").await?;
    ferrio::serve(listener, io)
        .with_fallback(pages)
        .with_graceful_shutdown(common::ctrl_c())
        .await
}

#[cfg(test)]
mod tests {
    use ferrio::testing::TestClient;
    use serde_json::{Value, json};

    use super::*;

    async fn visit(io: &SocketIo, cookie: &str) -> (TestClient, Value) {
        let mut client = TestClient::builder(io, "/movies")
            .header("cookie", &format!("theme=dark; {COOKIE_NAME}={cookie}"))
            .connect()
            .await
            .expect("connects");
        let hello = client.expect_event("on_connect").await.expect("greeted");
        (client, hello.arg(0).expect("logged_in"))
    }

    #[tokio::test]
    async fn identifying_is_remembered_by_the_browsers_cookie() {
        let io = SocketIo::builder().state(Users::default()).build();
        let (mut first, hello) = visit(&io, "browser-1").await;
        assert_eq!(hello, json!({ "logged_in": false }));
        first.emit("identify", "ada").await.expect("identifies");
        let identified = first.expect_event("identified").await.expect("identified");
        assert_eq!(
            identified.arg::<Value>(0).expect("a user"),
            json!({ "username": "ada" })
        );
        first.disconnect().await.expect("leaves");

        let (_, again) = visit(&io, "browser-1").await;
        assert_eq!(
            again,
            json!({ "logged_in": true }),
            "the same browser is still identified"
        );
        let (_, other) = visit(&io, "browser-2").await;
        assert_eq!(
            other,
            json!({ "logged_in": false }),
            "another browser is not"
        );
    }
}
