//! The in-memory adapter: a room index for one server.

use std::collections::{HashMap, HashSet};
use std::sync::RwLock;

use super::recovery::MemoryRecovery;
use crate::Sid;
use crate::error::{ClusterResult, SendError};
use crate::sid::{SidMap, SidSet};
use crate::socket::adapter::{
    Adapter, AdapterFuture, BroadcastOptions, BroadcastPacket, LocalNamespace, Room,
};
use crate::socket::recovery::SavedSession;
use crate::sync::{read, write};

/// The default adapter: rooms and broadcasts among the sockets of this server.
///
/// Room membership sits behind one read-write lock per namespace; a broadcast takes the read
/// lock once to select its sockets, then delivers the shared packet outside it. When the
/// server recovers connections, it also keeps the sessions of disconnected sockets and the
/// namespace's last events, in memory.
#[derive(Debug)]
pub struct LocalAdapter {
    namespace: LocalNamespace,
    index: RwLock<Index>,
    recovery: Option<MemoryRecovery>,
}

#[derive(Debug, Default)]
struct Index {
    rooms: HashMap<Room, SidSet>,
    sids: SidMap<HashSet<Room>>,
}

impl LocalAdapter {
    /// Creates the adapter of a namespace.
    pub fn new(namespace: LocalNamespace) -> Self {
        Self {
            recovery: namespace.recovery().copied().map(MemoryRecovery::new),
            namespace,
            index: RwLock::new(Index::default()),
        }
    }

    /// The rooms alone, for a cluster adapter that keeps sessions and numbers events itself.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn rooms_only(namespace: LocalNamespace) -> Self {
        Self {
            recovery: None,
            namespace,
            index: RwLock::new(Index::default()),
        }
    }

    /// Every room with a member on this server, socket-id rooms included.
    pub fn rooms(&self) -> Vec<Room> {
        read(&self.index).rooms.keys().cloned().collect()
    }

    /// Whether a socket of this server is in the room.
    pub fn has_room(&self, room: &str) -> bool {
        read(&self.index).rooms.contains_key(room)
    }

    /// The local sockets the options address, each once.
    pub(crate) fn select(&self, options: &BroadcastOptions) -> Vec<Sid> {
        let index = read(&self.index);
        let excluded = |sid: &Sid| {
            options.except.iter().any(|room| {
                index
                    .rooms
                    .get(room)
                    .is_some_and(|members| members.contains(sid))
            })
        };
        // Sized up front: a broadcast's list is built once per emit, at full length.
        let mut selected = Vec::new();
        if options.rooms.is_empty() {
            selected.reserve(index.sids.len());
            selected.extend(index.sids.keys().filter(|sid| !excluded(sid)));
            return selected;
        }
        let rooms = || {
            options
                .rooms
                .iter()
                .filter_map(|room| index.rooms.get(room))
        };
        let members = rooms().map(SidSet::len).sum();
        selected.reserve(members);
        if options.rooms.len() == 1 {
            // One room's members are distinct already.
            selected.extend(rooms().flatten().filter(|sid| !excluded(sid)));
            return selected;
        }
        let mut seen = SidSet::with_capacity_and_hasher(members, Default::default());
        selected.extend(
            rooms()
                .flatten()
                .filter(|sid| !excluded(sid) && seen.insert(**sid)),
        );
        selected
    }
}

impl Adapter for LocalAdapter {
    fn namespace(&self) -> &LocalNamespace {
        &self.namespace
    }

    fn local_sockets(&self, options: &BroadcastOptions) -> Vec<Sid> {
        self.select(options)
    }

    fn add_all(&self, sid: Sid, rooms: &[Room]) {
        let mut index = write(&self.index);
        // Which rooms are new to it, only when an observer will be told.
        let observed = self.namespace.is_observed();
        let mut joined = Vec::new();
        for room in rooms {
            if index.rooms.entry(room.clone()).or_default().insert(sid) && observed {
                joined.push(room);
            }
        }
        index
            .sids
            .entry(sid)
            .or_default()
            .extend(rooms.iter().cloned());
        drop(index);
        // Told once the index is free: the observer may emit, to this namespace too.
        self.namespace.observe_rooms(sid, true, joined);
    }

    fn del(&self, sid: Sid, room: &Room) {
        let mut index = write(&self.index);
        let mut left = false;
        if let Some(members) = index.rooms.get_mut(room) {
            left = members.remove(&sid);
            if members.is_empty() {
                index.rooms.remove(room);
            }
        }
        if let Some(rooms) = index.sids.get_mut(&sid) {
            rooms.remove(room);
        }
        drop(index);
        if left {
            self.namespace.observe_rooms(sid, false, [room]);
        }
    }

    fn del_all(&self, sid: Sid) {
        let mut index = write(&self.index);
        let Some(rooms) = index.sids.remove(&sid) else {
            return;
        };
        for room in &rooms {
            if let Some(members) = index.rooms.get_mut(room) {
                members.remove(&sid);
                if members.is_empty() {
                    index.rooms.remove(room);
                }
            }
        }
        drop(index);
        self.namespace.observe_rooms(sid, false, &rooms);
    }

    fn socket_rooms(&self, sid: Sid) -> Vec<Room> {
        read(&self.index)
            .sids
            .get(&sid)
            .map(|rooms| rooms.iter().cloned().collect())
            .unwrap_or_default()
    }

    fn all_rooms(&self) -> AdapterFuture<'_, ClusterResult<HashSet<Room>>> {
        Box::pin(std::future::ready(Ok(self.rooms().into_iter().collect())))
    }

    /// Numbers and keeps the event when the server recovers connections, then delivers it.
    fn broadcast(
        &self,
        packet: &BroadcastPacket,
        options: &BroadcastOptions,
    ) -> Result<(), SendError> {
        let stamped;
        let packet = match &self.recovery {
            Some(recovery) => {
                stamped = recovery.keep(packet, options);
                &stamped
            }
            None => packet,
        };
        self.namespace.deliver(&self.select(options), packet)
    }

    fn persist_session(&self, session: SavedSession) {
        if let Some(recovery) = &self.recovery {
            recovery.persist(session);
        }
    }

    fn take_session(&self, pid: Sid, offset: &str) -> AdapterFuture<'_, Option<SavedSession>> {
        let session = self
            .recovery
            .as_ref()
            .and_then(|recovery| recovery.take(pid, offset));
        Box::pin(std::future::ready(session))
    }

    fn missed_packets<'a>(
        &'a self,
        session: &'a SavedSession,
        offset: &'a str,
    ) -> AdapterFuture<'a, Option<Vec<BroadcastPacket>>> {
        let missed = self
            .recovery
            .as_ref()
            .and_then(|recovery| recovery.missed(session, offset));
        Box::pin(std::future::ready(missed))
    }
}
