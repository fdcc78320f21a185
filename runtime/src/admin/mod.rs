//! The server side of the official [Socket.IO Admin UI](https://admin.socket.io) (feature
//! `admin`), as Node's `instrument(io, { .. })` from `@socket.io/admin-ui`.
//!
//! [`SocketIoBuilder::instrument`] adds the admin namespace (`/admin` by default). A UI that
//! connects to it, with the credentials of [`Auth::basic`] if any, gets the server's
//! `config`, the list of every socket of every namespace (`all_sockets`, outside production
//! mode) and, every 2 s, the server's `server_stats`; unless the server is read-only, it may
//! make sockets join or leave rooms, disconnect them, and emit to them.
//!
//! # Examples
//!
//! ```
//! use ferrio::SocketIo;
//! use ferrio::admin::{Auth, Instrument};
//!
//! # fn f() -> Result<(), ferrio::admin::InvalidHash> {
//! // The hash of "changeit", made with `bcrypt::hash("changeit", 10)` or `htpasswd -bnBC 10`.
//! let hash = "$2a$10$BjMzjHifo..oU1bOQ.mAHOOxwDSfuTR7XEdG6ShZujgsP5KNu.LBq";
//! let io = SocketIo::builder()
//!     .instrument(Instrument::new(Auth::basic("admin", hash)?).readonly(true))
//!     .build();
//! # let _ = io; Ok(()) }
//! ```

mod auth;
mod live;
mod stats;
mod ui;

pub use self::auth::{Auth, InvalidHash};
pub use self::ui::AdminUi;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::ser::{Serialize, SerializeTuple, Serializer};
use serde_json::{Value, json};

use crate::payload::Payload;
use crate::server::SocketIoBuilder;
use crate::socket::operators::BroadcastOperator;
use crate::{ConnectError, Socket, SocketIo};

use self::auth::Sessions;

/// The options of the Admin UI's instrumentation, as those of Node's `instrument`.
///
/// # Examples
///
/// ```
/// use ferrio::admin::{Auth, Instrument};
///
/// let instrument = Instrument::new(Auth::None)
///     .namespace("/ops")
///     .server_id("eu-1")
///     .production(true);
/// # let _ = instrument;
/// ```
#[derive(Debug, Clone)]
pub struct Instrument {
    namespace: String,
    auth: Auth,
    readonly: bool,
    server_id: Option<String>,
    production: bool,
}

impl Instrument {
    /// The instrumentation with its defaults: namespace `/admin`, actions allowed, the host
    /// name as server id, development mode. The auth is required, as in Node: [`Auth::None`]
    /// says so explicitly.
    pub fn new(auth: Auth) -> Self {
        Self {
            namespace: "/admin".to_owned(),
            auth,
            readonly: false,
            server_id: None,
            production: false,
        }
    }

    /// The admin namespace's path (`/admin` by default).
    ///
    /// # Panics
    ///
    /// When building the server, if the path does not start with `/`.
    pub fn namespace(mut self, path: impl Into<String>) -> Self {
        self.namespace = path.into();
        self
    }

    /// Whether the UI only watches: it may not join, leave, disconnect or emit (`false` by
    /// default).
    pub fn readonly(mut self, readonly: bool) -> Self {
        self.readonly = readonly;
        self
    }

    /// The server's name in the UI (the host name by default).
    pub fn server_id(mut self, id: impl Into<String>) -> Self {
        self.server_id = Some(id.into());
        self
    }

    /// Node's `mode: "production"`: the UI gets the server's statistics only, not the list
    /// of its sockets (`false` by default).
    pub fn production(mut self, production: bool) -> Self {
        self.production = production;
        self
    }
}

/// What the admin namespace's handlers share.
struct Admin {
    options: Instrument,
    sessions: Sessions,
    stats: stats::Stats,
    /// The statistics are being emitted.
    emitting: AtomicBool,
    /// The live view, outside production mode.
    live: Option<Arc<live::Live>>,
}

impl Admin {
    /// The features the UI may use, as `config` announces them.
    fn features(&self) -> Vec<&'static str> {
        if self.options.readonly {
            Vec::new()
        } else {
            vec![
                "EMIT",
                "JOIN",
                "LEAVE",
                "DISCONNECT",
                "MJOIN",
                "MLEAVE",
                "MDISCONNECT",
            ]
        }
    }

    /// Emits the statistics every 2 s from the first admin connection on.
    fn start_stats(self: &Arc<Self>, io: &SocketIo) {
        if self.emitting.swap(true, Ordering::AcqRel) {
            return;
        }
        let (admin, io) = (self.clone(), io.clone());
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(stats::INTERVAL);
            loop {
                ticks.tick().await;
                let Some(namespace) = io.try_of(&admin.options.namespace) else {
                    return;
                };
                if let Err(error) = namespace.emit("server_stats", admin.stats.now(&io)) {
                    tracing::warn!(%error, "the admin UI's statistics were not sent");
                }
            }
        });
    }
}

impl SocketIoBuilder {
    /// Instruments the server for the Socket.IO Admin UI (feature `admin`): see
    /// [`ferrio::admin`](crate::admin).
    ///
    /// # Examples
    ///
    /// ```
    /// use ferrio::SocketIo;
    /// use ferrio::admin::{Auth, Instrument};
    ///
    /// let io = SocketIo::builder().instrument(Instrument::new(Auth::None)).build();
    /// # let _ = io;
    /// ```
    pub fn instrument(mut self, options: Instrument) -> Self {
        let path = options.namespace.clone();
        let live = (!options.production).then(|| Arc::new(live::Live::new(path.clone())));
        if let Some(live) = &live {
            self.observer = Some(live.clone());
        }
        let admin = Arc::new(Admin {
            stats: stats::Stats::new(options.server_id.clone()),
            sessions: Sessions::default(),
            options,
            emitting: AtomicBool::new(false),
            live,
        });
        let on_connect = admin.clone();
        let actions = admin.clone();
        self.namespace(&path, move |ns| {
            let ns = ns.on_connect(move |socket: Socket, io: SocketIo| {
                let admin = on_connect.clone();
                async move { connect(&admin, &socket, &io).await }
            });
            ["emit", "join", "leave", "_disconnect"]
                .into_iter()
                .fold(ns, |ns, action| {
                    let admin = actions.clone();
                    ns.on(action, move |io: SocketIo, args: Payload| {
                        let readonly = admin.options.readonly;
                        async move { act(&io, action, &args, readonly) }
                    })
                })
        })
    }
}

impl SocketIoBuilder {
    /// Serves the Admin UI's front end at its path (feature `admin`): see [`AdminUi`].
    pub fn serve_admin_ui(mut self, ui: AdminUi) -> Self {
        self.admin_ui = Some(ui);
        self
    }
}

/// Admits an admin UI, then sends it the server's configuration and sockets.
async fn connect(admin: &Arc<Admin>, socket: &Socket, io: &SocketIo) -> Result<(), ConnectError> {
    if let Some(session) = admin
        .sessions
        .admit(&admin.options.auth, socket.auth())
        .await?
    {
        let _ = socket.emit("session", session);
    }
    let _ = socket.emit("config", json!({ "supportedFeatures": admin.features() }));
    if !admin.options.production {
        let _ = socket.emit("all_sockets", all_sockets(io).await);
    }
    admin.start_stats(io);
    if let Some(live) = &admin.live {
        live.watch(io);
    }
    Ok(())
}

/// Carries out what the UI asked: `emit(nsp, room?, event, ..args)`, `join(nsp, room,
/// room?)`, `leave(nsp, room, room?)`, `_disconnect(nsp, close, room?)`.
fn act(io: &SocketIo, action: &str, args: &Payload, readonly: bool) {
    if readonly {
        tracing::info!(
            action,
            "the admin UI's action is refused: the server is read-only"
        );
        return;
    }
    let Ok(path) = args.arg::<String>(0) else {
        tracing::info!(action, "the admin UI's action names no namespace");
        return;
    };
    let Some(namespace) = io.try_of(&path) else {
        tracing::info!(action, namespace = %path, "the admin UI's action names an unknown namespace");
        return;
    };
    let within = |index: usize| -> BroadcastOperator {
        match args.arg::<Option<String>>(index) {
            Ok(Some(room)) if !room.is_empty() => namespace.clone().to(room),
            _ => namespace.clone(),
        }
    };
    match action {
        "emit" => {
            let Ok(event) = args.arg::<String>(2) else {
                tracing::info!("the admin UI's emit names no event");
                return;
            };
            if let Err(error) = within(1).emit(&event, Rest(args, 3)) {
                tracing::info!(%error, "the admin UI's emit failed");
            }
        }
        "join" | "leave" => {
            let Ok(room) = args.arg::<String>(1) else {
                tracing::info!(action, "the admin UI's action names no room");
                return;
            };
            if action == "join" {
                within(2).join(room);
            } else {
                within(2).leave(room);
            }
        }
        _ => {
            if args.arg::<bool>(1).unwrap_or(false) {
                within(2).close_connections();
            } else {
                within(2).disconnect();
            }
        }
    }
}

/// The arguments of a payload from `first` on, each its own argument on the wire.
struct Rest<'a>(&'a Payload, usize);

impl Serialize for Rest<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let count = self.0.len().saturating_sub(self.1);
        let mut args = serializer.serialize_tuple(count)?;
        for index in self.1..self.0.len() {
            args.serialize_element(&self.0.argument(index))?;
        }
        args.end()
    }
}

/// Every socket of every namespace of the cluster, as the UI lists them.
async fn all_sockets(io: &SocketIo) -> Vec<Value> {
    let mut all = Vec::new();
    for (path, _) in io.namespace_counts() {
        let Some(namespace) = io.try_of(&path) else {
            continue;
        };
        let local: HashMap<_, _> = io
            .sockets(&path)
            .into_iter()
            .map(|socket| (socket.id(), socket))
            .collect();
        let sockets = match namespace.fetch_sockets().await {
            Ok(sockets) => sockets,
            Err(error) => {
                tracing::info!(%error, namespace = %path, "some servers' sockets are missing from the admin UI's list");
                error.into_partial()
            }
        };
        for socket in sockets {
            let here = local.get(&socket.id());
            all.push(live::describe(socket.info(), &path, here));
        }
    }
    all
}
