//! A server refuses to start when a mounted schema declares a client event that no handler
//! handles, and says which.

use ferrio::prelude::*;

#[schema(Lobby, namespace = "/lobby")]
pub mod lobby {
    pub trait ClientToServer {
        fn hello(name: String);
        fn bye();
    }

    pub trait ServerToClient {}
}

#[on(lobby::Hello)]
fn hello(_name: String) {}

#[on(lobby::Bye)]
fn bye() {}

#[tokio::test]
async fn an_unhandled_client_event_refuses_to_start() {
    let result = SocketIo::builder()
        .handlers(ferrio::handlers![hello])
        .try_build();
    let problems = result
        .err()
        .map(|e| e.problems().to_vec())
        .unwrap_or_default();
    assert_eq!(
        problems,
        ["the schema of `/lobby` declares the client event `bye`, which no handler handles"]
    );
}

#[tokio::test]
async fn the_namespace_starts_when_every_event_is_handled() {
    let result = SocketIo::builder()
        .handlers(ferrio::handlers![hello, bye])
        .try_build();
    assert!(result.is_ok(), "{:?}", result.err());
}
