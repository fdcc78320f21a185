//! Engine.IO settings: heartbeat, limits, transports and CORS.

use std::time::Duration;

/// A way for a client to carry Engine.IO packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// HTTP long-polling: a pending GET for server packets, a POST for client packets.
    Polling,
    /// One WebSocket connection for both directions.
    Websocket,
}

impl Transport {
    /// The transport's name on the wire (`polling` or `websocket`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Polling => "polling",
            Self::Websocket => "websocket",
        }
    }

    pub(crate) fn from_query(name: &str) -> Option<Self> {
        match name {
            "polling" => Some(Self::Polling),
            "websocket" => Some(Self::Websocket),
            _ => None,
        }
    }
}

/// Which origins may reach the server from a browser page of another origin.
///
/// With [`Cors::Disabled`] (the default) no CORS headers are sent, and browsers let only
/// same-origin pages use long-polling. [`Cors::Any`] is Flask-SocketIO's
/// `cors_allowed_origins='*'`. With a list, a request whose `Origin` is not listed is refused
/// with HTTP 403, WebSocket requests included (browsers do not apply CORS to WebSockets).
///
/// # Examples
///
/// ```
/// use ferrio::Cors;
///
/// let open = Cors::Any;
/// let listed = Cors::origins(["https://example.com", "http://localhost:8080"]);
/// assert!(listed.allows("https://example.com"));
/// assert!(!listed.allows("https://evil.example"));
/// assert!(open.allows("https://evil.example"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Cors {
    /// No CORS headers; no origin check.
    #[default]
    Disabled,
    /// Every origin is allowed, with credentials.
    Any,
    /// Only these origins are allowed, with credentials.
    Origins(Vec<String>),
}

impl Cors {
    /// Allows exactly these origins (scheme, host and port, as browsers send them).
    pub fn origins<I, S>(origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::Origins(origins.into_iter().map(Into::into).collect())
    }

    /// Whether a request from `origin` is allowed.
    pub fn allows(&self, origin: &str) -> bool {
        match self {
            Self::Disabled | Self::Any => true,
            Self::Origins(list) => list.iter().any(|allowed| allowed == origin),
        }
    }
}

/// Engine.IO settings. Every setting has a default; the server builders expose a setter for each.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub(crate) path: String,
    pub(crate) ping_interval: Duration,
    pub(crate) ping_timeout: Duration,
    pub(crate) max_payload: usize,
    pub(crate) transports: Vec<Transport>,
    pub(crate) cors: Cors,
    pub(crate) max_buffered_frames: usize,
    pub(crate) upgrade_timeout: Duration,
    pub(crate) allow_eio3: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            path: "/engine.io/".to_owned(),
            ping_interval: Duration::from_secs(25),
            ping_timeout: Duration::from_secs(20),
            max_payload: 1_000_000,
            transports: vec![Transport::Polling, Transport::Websocket],
            cors: Cors::Disabled,
            max_buffered_frames: 1024,
            upgrade_timeout: Duration::from_secs(10),
            allow_eio3: true,
        }
    }
}

impl EngineConfig {
    pub(crate) fn allows(&self, transport: Transport) -> bool {
        self.transports.contains(&transport)
    }

    /// Normalises a mount path to the form `/path/`.
    pub(crate) fn set_path(&mut self, path: &str) {
        let trimmed = path.trim_matches('/');
        self.path = if trimmed.is_empty() {
            "/".to_owned()
        } else {
            format!("/{trimmed}/")
        };
    }

    /// Whether a request path addresses this server (with or without the trailing slash).
    pub(crate) fn matches_path(&self, path: &str) -> bool {
        path == self.path || path.len() + 1 == self.path.len() && self.path.starts_with(path)
    }
}

/// Generates the builder setters shared by the Engine.IO and Socket.IO server builders, so the
/// two stay in step. `$($config)+` is the path to the builder's [`EngineConfig`].
macro_rules! engine_setters {
    ($($config:ident).+) => {
        /// Mounts the server at this path (default `/socket.io/` for Socket.IO, `/engine.io/`
        /// for a bare Engine.IO server).
        pub fn path(mut self, path: &str) -> Self {
            self.$($config).+.set_path(path);
            self
        }

        /// How often the server pings each client (default 25 s).
        pub fn ping_interval(mut self, interval: std::time::Duration) -> Self {
            self.$($config).+.ping_interval = interval;
            self
        }

        /// How long the server waits for a pong before closing the session (default 20 s).
        pub fn ping_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.$($config).+.ping_timeout = timeout;
            self
        }

        /// The largest message, and the largest polling request body, a client may send, in
        /// bytes (default 1 000 000). A client that sends more is disconnected.
        pub fn max_payload(mut self, bytes: usize) -> Self {
            self.$($config).+.max_payload = bytes;
            self
        }

        /// The transports clients may use (default both). `[Transport::Websocket]` serves
        /// clients that connect with `transports: ['websocket']` only.
        pub fn transports<I>(mut self, transports: I) -> Self
        where
            I: IntoIterator<Item = $crate::Transport>,
        {
            self.$($config).+.transports = transports.into_iter().collect();
            self
        }

        /// Which cross-origin pages may connect (default [`Cors::Disabled`](crate::Cors)).
        pub fn cors(mut self, cors: $crate::Cors) -> Self {
            self.$($config).+.cors = cors;
            self
        }

        /// Whether clients of Engine.IO protocol 3, the socket.io JavaScript client 2.x, may
        /// connect (default `true`, unlike Node's `allowEIO3`: pages that load the 2.x client
        /// work unchanged). When `false` they are refused with HTTP 400.
        pub fn allow_eio3(mut self, allow: bool) -> Self {
            self.$($config).+.allow_eio3 = allow;
            self
        }

        /// How many frames may wait in one client's outgoing queue (default 1024). When a
        /// client does not drain its queue fast enough and it fills, that client is
        /// disconnected with a logged reason, and the emit that found it full returns an error.
        pub fn max_buffered_frames(mut self, frames: usize) -> Self {
            self.$($config).+.max_buffered_frames = frames.max(1);
            self
        }
    };
}

pub(crate) use engine_setters;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalised_and_matched_with_or_without_trailing_slash() {
        let mut config = EngineConfig::default();
        config.set_path("socket.io");
        assert_eq!(config.path, "/socket.io/");
        assert!(config.matches_path("/socket.io/"));
        assert!(config.matches_path("/socket.io"));
        assert!(!config.matches_path("/socket.iox"));
        assert!(!config.matches_path("/other/"));
    }
}
