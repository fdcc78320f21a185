//! A namespace at run time: its connected sockets, its adapter, and the handlers that the
//! registry gave it, seen through [`Dispatch`].

use std::any::Any;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use serde_json::Value;

use crate::Sid;
use crate::error::ConnectError;
use crate::payload::Payload;
use crate::sid::SidMap;
use crate::socket::adapter::{Adapter, AdapterFactory, LocalNamespace};
use crate::socket::in_order::BoxFuture;
use crate::socket::observer::Observer;
use crate::socket::recovery::ConnectionStateRecovery;
use crate::socket::{DisconnectReason, Socket};
use crate::sync::{read, write};

/// What runs a namespace's handlers, as its sockets call it: the handler layer's registry.
pub(crate) trait Dispatch: Send + Sync + 'static {
    /// The connect handler's future for a socket that connects, if there is a handler.
    fn connect(&self, socket: &Socket, auth: Value) -> Option<BoxFuture<Result<(), ConnectError>>>;

    /// Starts the handler of an event from the client, in the order events arrive.
    fn event(&self, socket: &Socket, event: String, payload: Payload, ack_id: Option<u64>);

    /// Starts the disconnect handler.
    fn disconnect(&self, socket: &Socket, reason: DisconnectReason);
}

/// A namespace at run time.
pub(crate) struct Namespace {
    pub(crate) path: Arc<str>,
    pub(crate) adapter: Arc<dyn Adapter>,
    pub(crate) handlers: Box<dyn Dispatch>,
    sockets: RwLock<SidMap<Socket>>,
    /// The connected sockets that can be recovered, by their private ids.
    recoverable: RwLock<SidMap<Sid>>,
    ack_ids: AtomicU64,
    /// The server's default acknowledgement timeout.
    pub(crate) ack_timeout: Duration,
    /// Connection state recovery, when the server recovers connections.
    pub(crate) recovery: Option<ConnectionStateRecovery>,
    /// The server the namespace belongs to, for the layer above, which knows its type.
    pub(crate) server: Weak<dyn Any + Send + Sync>,
    /// Told of the sockets' lives, when the server is watched (the Admin UI).
    pub(crate) observer: Option<Arc<dyn Observer>>,
}

impl Namespace {
    /// A namespace with its handlers, and the adapter `adapter` makes for it.
    pub(crate) fn new(
        path: Arc<str>,
        handlers: Box<dyn Dispatch>,
        adapter: &dyn AdapterFactory,
        ack_timeout: Duration,
        recovery: Option<ConnectionStateRecovery>,
        server: Weak<dyn Any + Send + Sync>,
        observer: Option<Arc<dyn Observer>>,
    ) -> Arc<Self> {
        Arc::new_cyclic(|weak| Namespace {
            adapter: adapter.create(LocalNamespace::new(
                weak.clone(),
                path.clone(),
                recovery,
                observer.clone(),
            )),
            observer,
            recovery,
            path,
            handlers,
            sockets: RwLock::new(SidMap::default()),
            recoverable: RwLock::new(SidMap::default()),
            ack_ids: AtomicU64::new(0),
            ack_timeout,
            server,
        })
    }

    pub(crate) fn next_ack_id(&self) -> u64 {
        self.ack_ids.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn socket(&self, sid: Sid) -> Option<Socket> {
        read(&self.sockets).get(&sid).cloned()
    }

    /// Calls `f` with each of the sockets of `sids` still connected, under one read of the
    /// socket table: a broadcast's way to reach its sockets. `f` must not connect or remove
    /// sockets (sending may close a session; that ends its socket later, on its own task).
    pub(crate) fn with_sockets(&self, sids: &[Sid], mut f: impl FnMut(&Socket)) {
        let sockets = read(&self.sockets);
        for socket in sids.iter().filter_map(|sid| sockets.get(sid)) {
            f(socket);
        }
    }

    pub(crate) fn sockets(&self) -> Vec<Socket> {
        read(&self.sockets).values().cloned().collect()
    }

    /// How many sockets are connected to the namespace on this server.
    #[cfg(feature = "admin")]
    pub(crate) fn socket_count(&self) -> usize {
        read(&self.sockets).len()
    }

    /// The connected socket that a private id recovers, if it is still here: its client came
    /// back before this server saw it leave.
    pub(crate) fn socket_of_pid(&self, pid: Sid) -> Option<Socket> {
        let sid = *read(&self.recoverable).get(&pid)?;
        self.socket(sid)
    }

    pub(crate) fn insert(&self, socket: Socket) {
        if let Some(pid) = socket.pid() {
            write(&self.recoverable).insert(pid, socket.id());
        }
        write(&self.sockets).insert(socket.id(), socket);
    }

    pub(crate) fn remove(&self, socket: &Socket) {
        let mut sockets = write(&self.sockets);
        // Only this very socket: one that a recovered socket of the same id replaced stays.
        if sockets.get(&socket.id()) == Some(socket) {
            sockets.remove(&socket.id());
            if let Some(pid) = socket.pid() {
                write(&self.recoverable).remove(&pid);
            }
        }
    }
}

impl fmt::Debug for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Namespace")
            .field("path", &self.path)
            .field("sockets", &read(&self.sockets).len())
            .finish_non_exhaustive()
    }
}
