//! An adapter written outside ferrio, with only its public API: its own room index; delivery,
//! queries and remote room changes come from the trait's defaults, through the
//! [`LocalNamespace`] it is created with. `testapp` runs on it with
//! `ADAPTER=external`, so that the rooms and broadcast suite proves the `Adapter` trait
//! is enough to write one.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Mutex;

use ferrio::{Adapter, AdapterFuture, BroadcastOptions, ClusterResult, LocalNamespace, Room, Sid};

/// Rooms in ordered maps behind one mutex: simple rather than fast.
#[derive(Debug)]
pub struct ExternalAdapter {
    namespace: LocalNamespace,
    index: Mutex<Index>,
}

#[derive(Debug, Default)]
struct Index {
    members: BTreeMap<Room, BTreeSet<Sid>>,
    rooms_of: BTreeMap<Sid, BTreeSet<Room>>,
}

impl Index {
    fn leave(&mut self, sid: Sid, room: &Room) {
        if let Some(members) = self.members.get_mut(room) {
            members.remove(&sid);
            if members.is_empty() {
                self.members.remove(room);
            }
        }
        if let Some(rooms) = self.rooms_of.get_mut(&sid) {
            rooms.remove(room);
        }
    }
}

impl ExternalAdapter {
    /// The adapter of one namespace: give `ExternalAdapter::new` to the builder's `adapter`.
    pub fn new(namespace: LocalNamespace) -> Self {
        Self {
            namespace,
            index: Mutex::new(Index::default()),
        }
    }

    fn index(&self) -> std::sync::MutexGuard<'_, Index> {
        self.index
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The sockets the options address, each once, in id order.
    fn addressed(&self, options: &BroadcastOptions) -> Vec<Sid> {
        let index = self.index();
        let in_any = |rooms: &HashSet<Room>, sid: &Sid| {
            rooms
                .iter()
                .any(|room| index.members.get(room).is_some_and(|m| m.contains(sid)))
        };
        let candidates: BTreeSet<Sid> = if options.rooms.is_empty() {
            index.rooms_of.keys().copied().collect()
        } else {
            options
                .rooms
                .iter()
                .filter_map(|room| index.members.get(room))
                .flatten()
                .copied()
                .collect()
        };
        candidates
            .into_iter()
            .filter(|sid| !in_any(&options.except, sid))
            .collect()
    }
}

impl Adapter for ExternalAdapter {
    fn namespace(&self) -> &LocalNamespace {
        &self.namespace
    }

    fn local_sockets(&self, options: &BroadcastOptions) -> Vec<Sid> {
        self.addressed(options)
    }

    fn add_all(&self, sid: Sid, rooms: &[Room]) {
        let mut index = self.index();
        for room in rooms {
            index.members.entry(room.clone()).or_default().insert(sid);
            index.rooms_of.entry(sid).or_default().insert(room.clone());
        }
    }

    fn del(&self, sid: Sid, room: &Room) {
        self.index().leave(sid, room);
    }

    fn del_all(&self, sid: Sid) {
        let mut index = self.index();
        let rooms = index.rooms_of.remove(&sid).unwrap_or_default();
        for room in &rooms {
            index.leave(sid, room);
        }
    }

    fn socket_rooms(&self, sid: Sid) -> Vec<Room> {
        let index = self.index();
        index
            .rooms_of
            .get(&sid)
            .into_iter()
            .flatten()
            .cloned()
            .collect()
    }

    fn all_rooms(&self) -> AdapterFuture<'_, ClusterResult<HashSet<Room>>> {
        let rooms = self.index().members.keys().cloned().collect();
        Box::pin(async move { Ok(rooms) })
    }
}
