//! The `server_stats` the admin UI charts: the server's identity, uptime, connections and the
//! sockets of each namespace.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::SocketIo;

/// How often the statistics are sent, as in Node.
pub(super) const INTERVAL: Duration = Duration::from_secs(2);

/// What stays the same from one statistics message to the next.
pub(super) struct Stats {
    server_id: String,
    hostname: String,
    started: Instant,
}

impl Stats {
    /// The statistics of this process, named `server_id` (the host name by default).
    pub(super) fn new(server_id: Option<String>) -> Self {
        let hostname = gethostname::gethostname().to_string_lossy().into_owned();
        Self {
            server_id: server_id.unwrap_or_else(|| hostname.clone()),
            hostname,
            started: Instant::now(),
        }
    }

    /// The statistics now, in the shape of Node's `server_stats`.
    pub(super) fn now(&self, io: &SocketIo) -> Value {
        let (clients, polling) = io.connection_counts();
        let namespaces: Vec<Value> = io
            .namespace_counts()
            .into_iter()
            .map(|(name, sockets)| json!({ "name": name, "socketsCount": sockets }))
            .collect();
        json!({
            "serverId": self.server_id,
            "hostname": self.hostname,
            "pid": std::process::id(),
            "uptime": self.started.elapsed().as_secs_f64(),
            "clientsCount": clients,
            "pollingClientsCount": polling,
            "aggregatedEvents": [],
            "namespaces": namespaces,
        })
    }
}
