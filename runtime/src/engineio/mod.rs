//! Engine.IO, the transport layer under Socket.IO, usable on its own.
//!
//! An Engine.IO server opens sessions over HTTP long-polling or WebSocket, upgrades polling
//! sessions to WebSocket without losing or reordering a packet, keeps them alive with a
//! heartbeat, and hands each message to an [`EngineHandler`]. Socket.IO is built on it; a bare
//! Engine.IO server is useful when you want a message pipe and nothing more.
//!
//! # Examples
//!
//! ```no_run
//! use std::sync::Arc;
//! use ferrio::engineio::{CloseReason, EngineHandler, EngineIo, Message, Session};
//!
//! struct Echo;
//!
//! impl EngineHandler for Echo {
//!     type Data = ();
//!     fn on_open(&self, _: &Arc<Session<()>>) {}
//!     fn on_message(&self, session: &Arc<Session<()>>, message: Message<'_>) {
//!         let _ = match message {
//!             Message::Text(text) => session.send_text(text),
//!             Message::Binary(data) => session.send_binary(data),
//!         };
//!     }
//!     fn on_close(&self, _: &Arc<Session<()>>, _: CloseReason) {}
//! }
//!
//! # async fn run() -> std::io::Result<()> {
//! let engine = EngineIo::builder(Echo).build();
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! ferrio::serve(listener, engine).await
//! # }
//! ```

mod config;
mod engine;
mod frame;
mod outbox;
mod packet;
mod payload;
mod payload_v3;
mod response;
mod service;
mod session;
mod transport;
mod version;

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};

pub use config::{Cors, EngineConfig, Transport};
pub use engine::EngineHandler;
pub use frame::Message;
pub use response::{RequestBody, ResponseBody};
pub use session::{CloseReason, Handshake, Session};
pub use version::ProtocolVersion;

pub(crate) use config::engine_setters;
pub(crate) use engine::Engine;
pub(crate) use frame::Frame;

/// A bare Engine.IO server: a cheap-to-clone handle, and a tower / hyper service.
///
/// Requests outside its path are answered with 404, so mount it where it belongs (for
/// example with axum's `Router::route_service`), or serve it alone with [`crate::serve`].
pub struct EngineIo<H: EngineHandler> {
    pub(crate) engine: Arc<Engine<H>>,
}

impl<H: EngineHandler> EngineIo<H> {
    /// Starts a builder around the handler, with the default settings and the path
    /// `/engine.io/`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use ferrio::engineio::*;
    /// # struct Quiet;
    /// # impl EngineHandler for Quiet {
    /// #     type Data = ();
    /// #     fn on_open(&self, _: &Arc<Session<()>>) {}
    /// #     fn on_message(&self, _: &Arc<Session<()>>, _: Message<'_>) {}
    /// #     fn on_close(&self, _: &Arc<Session<()>>, _: CloseReason) {}
    /// # }
    /// use std::time::Duration;
    ///
    /// let engine = EngineIo::builder(Quiet)
    ///     .ping_interval(Duration::from_secs(10))
    ///     .max_payload(64 * 1024)
    ///     .build();
    /// # let _ = engine;
    /// ```
    pub fn builder(handler: H) -> EngineIoBuilder<H> {
        EngineIoBuilder {
            config: EngineConfig::default(),
            handler,
        }
    }

    /// The handler given to the builder.
    pub fn handler(&self) -> &H {
        &self.engine.handler
    }

    /// Closes every session with [`CloseReason::ServerShutdown`] and waits until they ended.
    pub async fn close(&self) {
        self.engine.close_all().await;
    }

    /// Answers one HTTP request.
    pub async fn handle<B>(&self, request: Request<B>) -> Response<ResponseBody>
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: std::error::Error + Send + Sync + 'static,
    {
        handle_request(&self.engine, request).await
    }
}

/// The future of ferrio's tower services.
pub type ServiceFuture =
    Pin<Box<dyn Future<Output = Result<Response<ResponseBody>, Infallible>> + Send>>;

/// Routes a request to the engine if it addresses the engine's path, else answers 404.
pub(crate) async fn handle_request<H, B>(
    engine: &Arc<Engine<H>>,
    request: Request<B>,
) -> Response<ResponseBody>
where
    H: EngineHandler,
    B: RequestBody,
{
    if engine.config.matches_path(request.uri().path()) {
        service::handle(engine, request).await
    } else {
        let mut response = Response::new(ResponseBody::default());
        *response.status_mut() = http::StatusCode::NOT_FOUND;
        response
    }
}

impl<H: EngineHandler> Clone for EngineIo<H> {
    fn clone(&self) -> Self {
        Self {
            engine: self.engine.clone(),
        }
    }
}

impl<H: EngineHandler> fmt::Debug for EngineIo<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EngineIo")
            .field("config", &self.engine.config)
            .field("sessions", &self.engine.session_count())
            .finish()
    }
}

impl<H, B> tower_service::Service<Request<B>> for EngineIo<H>
where
    H: EngineHandler,
    B: RequestBody,
{
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = ServiceFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let engine = self.engine.clone();
        Box::pin(async move { Ok(handle_request(&engine, request).await) })
    }
}

/// Builds an [`EngineIo`] server.
#[derive(Debug, Clone)]
#[must_use]
pub struct EngineIoBuilder<H> {
    config: EngineConfig,
    handler: H,
}

impl<H: EngineHandler> EngineIoBuilder<H> {
    engine_setters!(config);

    /// Builds the server.
    pub fn build(self) -> EngineIo<H> {
        EngineIo {
            engine: Arc::new(Engine::new(self.config, self.handler)),
        }
    }
}
