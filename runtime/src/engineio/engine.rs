//! The Engine.IO server state: its settings, its handler and its open sessions.

use std::convert::Infallible;
use std::sync::{Arc, RwLock};

use tokio_util::sync::CancellationToken;

use super::config::{EngineConfig, Transport};
use super::frame::Message;
use super::session::{CloseReason, Handshake, Session, heartbeat};
use super::version::ProtocolVersion;
use crate::Sid;
use crate::sid::SidMap;
use crate::sync::{read, write};

/// What an Engine.IO server does with its sessions.
///
/// The Socket.IO server is one implementation; implement it yourself to use Engine.IO alone.
/// The methods are called from the task that reads the client's transport, in the order the
/// client's packets arrived: spawn a task for slow work.
///
/// # Examples
///
/// An Engine.IO server that sends every message back:
///
/// ```
/// use std::sync::Arc;
/// use ferrio::engineio::{CloseReason, EngineHandler, EngineIo, Message, Session};
///
/// struct Echo;
///
/// impl EngineHandler for Echo {
///     type Data = ();
///
///     fn on_open(&self, _session: &Arc<Session<()>>) {}
///
///     fn on_message(&self, session: &Arc<Session<()>>, message: Message<'_>) {
///         let _ = match message {
///             Message::Text(text) => session.send_text(text),
///             Message::Binary(data) => session.send_binary(data),
///         };
///     }
///
///     fn on_close(&self, _session: &Arc<Session<()>>, _reason: CloseReason) {}
/// }
///
/// let engine = EngineIo::builder(Echo).path("/engine.io/").build();
/// # let _ = engine;
/// ```
#[diagnostic::on_unimplemented(
    note = "implement `EngineHandler` for your type to serve Engine.IO sessions with it"
)]
pub trait EngineHandler: Send + Sync + 'static {
    /// Data attached to every session, created with `Default` at the handshake.
    type Data: Default + Send + Sync + 'static;

    /// A session opened (its open packet is already queued).
    fn on_open(&self, session: &Arc<Session<Self::Data>>);

    /// A message arrived.
    fn on_message(&self, session: &Arc<Session<Self::Data>>, message: Message<'_>);

    /// A session ended. Called exactly once per session, after which it receives nothing more.
    fn on_close(&self, session: &Arc<Session<Self::Data>>, reason: CloseReason);

    /// Watches an open session for as long as it lives, beside its heartbeat, on the task
    /// that supervises it (no task of its own): for deadlines of the handler's protocol. The
    /// future is dropped when the session ends; by default it does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::{convert::Infallible, sync::Arc, time::Duration};
    /// # use ferrio::engineio::{Session};
    /// // Closes every session after an hour.
    /// async fn supervise(session: &Arc<Session<()>>) -> Infallible {
    ///     tokio::time::sleep(Duration::from_secs(3600)).await;
    ///     session.disconnect();
    ///     std::future::pending().await
    /// }
    /// ```
    fn supervise(
        &self,
        session: &Arc<Session<Self::Data>>,
    ) -> impl Future<Output = Infallible> + Send {
        let _ = session;
        std::future::pending()
    }
}

pub(crate) struct Engine<H: EngineHandler> {
    pub(crate) config: EngineConfig,
    pub(crate) handler: H,
    sessions: RwLock<SidMap<Arc<Session<H::Data>>>>,
    pub(crate) shutdown: CancellationToken,
}

impl<H: EngineHandler> Engine<H> {
    pub(crate) fn new(config: EngineConfig, handler: H) -> Self {
        Self {
            config,
            handler,
            sessions: RwLock::new(SidMap::default()),
            shutdown: CancellationToken::new(),
        }
    }

    pub(crate) fn session(&self, sid: &str) -> Option<Arc<Session<H::Data>>> {
        let sid = sid.parse::<Sid>().ok()?;
        read(&self.sessions).get(&sid).cloned()
    }

    pub(crate) fn session_count(&self) -> usize {
        read(&self.sessions).len()
    }

    /// How many sessions use HTTP long-polling now.
    #[cfg(feature = "admin")]
    pub(crate) fn polling_count(&self) -> usize {
        read(&self.sessions)
            .values()
            .filter(|session| session.is_polling())
            .count()
    }

    /// Opens a session, queues its open packet, and starts its heartbeat.
    pub(crate) fn open(
        self: &Arc<Self>,
        protocol: ProtocolVersion,
        transport: Transport,
        handshake: Handshake,
    ) -> Arc<Session<H::Data>> {
        let session = Arc::new(Session::new(
            protocol,
            transport,
            handshake,
            H::Data::default(),
            self.config.max_buffered_frames,
        ));
        write(&self.sessions).insert(session.sid(), session.clone());
        tracing::debug!(sid = %session.sid(), transport = transport.as_str(), "session opened");

        let engine = self.clone();
        let supervised = session.clone();
        tokio::spawn(async move {
            let config = &engine.config;
            let reason = tokio::select! {
                reason = heartbeat(&supervised, config.ping_interval, config.ping_timeout) => reason,
                () = supervised.closed() => supervised.close_reason(),
                () = engine.shutdown.cancelled() => CloseReason::ServerShutdown,
                never = engine.handler.supervise(&supervised) => match never {},
            };
            supervised.close(reason);
            write(&engine.sessions).remove(&supervised.sid());
            engine
                .handler
                .on_close(&supervised, supervised.close_reason());
            tracing::debug!(sid = %supervised.sid(), reason = %supervised.close_reason(), "session closed");
        });
        session
    }

    /// The open packet: `0` and the handshake JSON (without `maxPayload` in Engine.IO v3).
    pub(crate) fn open_packet(&self, session: &Session<H::Data>) -> String {
        let upgrades: &[&str] = match session.transport() {
            Transport::Polling if self.config.allows(Transport::Websocket) => &["websocket"],
            _ => &[],
        };
        let mut open = serde_json::json!({
            "sid": session.sid(),
            "upgrades": upgrades,
            "pingInterval": self.config.ping_interval.as_millis() as u64,
            "pingTimeout": self.config.ping_timeout.as_millis() as u64,
        });
        if session.protocol() == ProtocolVersion::V4 {
            open["maxPayload"] = self.config.max_payload.into();
        }
        format!("0{open}")
    }

    /// Closes every session with the server-shutdown reason and waits until they are gone.
    pub(crate) async fn close_all(&self) {
        let sessions: Vec<_> = read(&self.sessions).values().cloned().collect();
        for session in &sessions {
            session.disconnect_with(CloseReason::ServerShutdown);
        }
        // Give queued close packets a moment to reach the clients, then end what remains.
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(500);
        while self.session_count() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        self.shutdown.cancel();
        while self.session_count() > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
}
