//! ferrio: a Socket.IO server framework for Rust, on tokio and hyper.
//!
//! Handlers are plain async functions whose parameters say what they need, in the manner of
//! axum: the [`Socket`], the event's arguments as any `Deserialize` type, shared [`State`],
//! the [`SocketIo`] handle, or extractors of your own ([`FromContext`]); what they return is
//! the acknowledgement. Mark them `#[on("event")]`, or register them on namespaces with
//! [`SocketIo::builder`]; then serve the server alone with [`serve`] or mount it beside other
//! routes as a tower service.
//!
//! ```no_run
//! use ferrio::{Socket, SocketIo};
//!
//! async fn buy(socket: Socket, item: String) -> String {
//!     let _ = socket.broadcast().emit("bought", &item);
//!     format!("bought {item}")
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let io = SocketIo::builder()
//!         .namespace("/game", |ns| ns.on("buy", buy))
//!         .build();
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//!     ferrio::serve(listener, io).await
//! }
//! ```
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

// The macros name `::ferrio`; this lets the crate's own tests use them.
#[cfg(test)]
extern crate self as ferrio;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;
mod adapter;
#[cfg(feature = "admin")]
pub mod admin;
mod client_script;
pub mod engineio;
mod error;
mod extensions;
mod handler;
mod payload;
pub mod schema;
mod serve;
mod server;
mod server_event;
mod sid;
mod socket;
mod socketio;
mod sync;
#[cfg(feature = "testing")]
pub mod testing;

pub use adapter::LocalAdapter;
#[cfg(feature = "redis")]
pub use adapter::{Redis, RedisAdapter, RedisBuilder, RedisStreams, RedisStreamsAdapter};
pub use client_script::ClientScript;
pub use engineio::{Cors, Transport};
pub use error::{
    AckError, BoxError, ClusterResult, ConnectError, Incomplete, MissingAcks, SendError,
};
pub use extensions::Session;
pub use handler::error::HandlerError;
pub use handler::extract::{
    AnswerContext, ConnectContext, DisconnectContext, Event, EventContext, FromContext,
    HandlerContext, Recovered, SocketContext, State, TryData,
};
pub use handler::registry::NamespaceBuilder;
pub use handler::{Ack, Handler, HandlerOutput, IntoAck, IntoHandlerError, IntoRefusal};
pub use payload::Payload;
#[cfg(feature = "tls")]
pub use serve::tls_config_from_pem;
pub use serve::{App, PeerAddr, Serve, ServeBody, serve};
pub use server::{BuildError, SocketIo, SocketIoBuilder};
pub use server_event::ServerEventContext;
pub use sid::{InvalidSid, Sid};
pub use socket::ack::{AckSender, AckStream};
pub use socket::adapter::{
    Adapter, AdapterFactory, AdapterFuture, BroadcastOptions, BroadcastPacket, HandshakeData,
    LocalNamespace, Room, SocketInfo,
};
pub use socket::data::SocketData;
pub use socket::operators::{BroadcastOperator, IntoRooms};
pub use socket::recovery::{ConnectionStateRecovery, SavedSession};
pub use socket::remote_socket::RemoteSocket;
pub use socket::rooms::Rooms;
pub use socket::session_state::SessionState;
pub use socket::{DisconnectReason, Socket};

/// Lists annotated handlers (functions marked `#[on]`, or `#[namespace]` types) for
/// [`SocketIoBuilder::handlers`], to build a server with exactly these instead of every
/// handler in the program.
///
/// # Examples
///
/// ```
/// use ferrio::prelude::*;
///
/// #[on("ping")]
/// fn ping() -> &'static str {
///     "pong"
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let io = SocketIo::builder().handlers(ferrio::handlers![ping]).build();
/// # let _ = io; }
/// ```
#[macro_export]
macro_rules! handlers {
    ($($handler:path),* $(,)?) => {
        [$(<$handler as $crate::__private::Routes>::ROUTES),*].into_iter().flatten()
    };
}

pub use ferrio_macros::{namespace, on, on_error, on_server_event, schema};

/// Everything a handler module needs: `use ferrio::prelude::*;`.
pub mod prelude {
    pub use crate::{
        Ack, AckSender, ConnectError, Cors, DisconnectReason, Event, HandlerError, Payload, Rooms,
        SessionState, Sid, Socket, SocketData, SocketIo, State, namespace, on, on_error,
        on_server_event, schema,
    };
    pub use serde::{Deserialize, Serialize};
}
