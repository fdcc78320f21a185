//! Connection state recovery on one server: the sessions of disconnected sockets and the last
//! events of a namespace, kept in memory within the configured limits.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::Instant;

use crate::Sid;
use crate::sid::SidMap;
use crate::socket::adapter::{BroadcastOptions, BroadcastPacket};
use crate::socket::recovery::{ConnectionStateRecovery, Offset, SavedSession};
use crate::sync::lock;

/// One namespace's kept sessions and events.
#[derive(Debug)]
pub(crate) struct MemoryRecovery {
    config: ConnectionStateRecovery,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// The kept events, oldest first: the offset of `events[i]` is `first + i`.
    events: VecDeque<KeptEvent>,
    first: u64,
    /// Sessions by pid, each with when it was kept and its place in `by_age`.
    sessions: SidMap<KeptSession>,
    /// The pids of the kept sessions, oldest first.
    by_age: BTreeMap<u64, Sid>,
    kept_sessions: u64,
}

#[derive(Debug)]
struct KeptEvent {
    options: BroadcastOptions,
    packet: BroadcastPacket,
}

#[derive(Debug)]
struct KeptSession {
    age: u64,
    since: Instant,
    session: SavedSession,
}

impl MemoryRecovery {
    pub(crate) fn new(config: ConnectionStateRecovery) -> Self {
        Self {
            config,
            state: Mutex::new(State::default()),
        }
    }

    /// Numbers an event, keeps it, and returns it stamped with its offset.
    pub(crate) fn keep(
        &self,
        packet: &BroadcastPacket,
        options: &BroadcastOptions,
    ) -> BroadcastPacket {
        let mut state = lock(&self.state);
        let offset = state.next();
        let Some(stamped) = packet.with_offset(&offset.to_string()) else {
            return packet.clone();
        };
        if self.config.max_packets == 0 {
            state.first += 1;
            return stamped;
        }
        if state.events.len() == self.config.max_packets {
            state.events.pop_front();
            state.first += 1;
        }
        state.events.push_back(KeptEvent {
            options: options.clone(),
            packet: stamped.clone(),
        });
        stamped
    }

    /// Keeps a session, dropping expired ones and, past the limit, the oldest.
    pub(crate) fn persist(&self, session: SavedSession) {
        let now = Instant::now();
        let mut state = lock(&self.state);
        state.expire(now, &self.config);
        if self.config.max_sessions == 0 {
            return;
        }
        while state.sessions.len() >= self.config.max_sessions {
            let Some((_, pid)) = state.by_age.pop_first() else {
                break;
            };
            state.sessions.remove(&pid);
            tracing::info!(%pid, "too many disconnected sessions kept: the oldest is dropped and will not recover");
        }
        let age = state.kept_sessions;
        state.kept_sessions += 1;
        state.by_age.insert(age, session.pid);
        let kept = KeptSession {
            age,
            since: now,
            session,
        };
        if let Some(replaced) = state.sessions.insert(kept.session.pid, kept) {
            state.by_age.remove(&replaced.age);
        }
    }

    /// Takes back a session, if it is kept, unexpired, and no event after `offset` is lost.
    pub(crate) fn take(&self, pid: Sid, offset: &str) -> Option<SavedSession> {
        let mut state = lock(&self.state);
        state.expire(Instant::now(), &self.config);
        let kept = state.sessions.remove(&pid)?;
        state.by_age.remove(&kept.age);
        state.after(offset)?;
        Some(kept.session)
    }

    /// The kept events after `offset` that reached the session's rooms.
    pub(crate) fn missed(
        &self,
        session: &SavedSession,
        offset: &str,
    ) -> Option<Vec<BroadcastPacket>> {
        let state = lock(&self.state);
        let start = state.after(offset)?;
        let missed = state
            .events
            .range(start..)
            .filter(|event| session.is_addressed_by(&event.options))
            .map(|event| event.packet.clone())
            .collect();
        Some(missed)
    }
}

impl State {
    fn next(&self) -> u64 {
        self.first + self.events.len() as u64
    }

    /// Where the events after `offset` start in `events`, when every one of them is kept:
    /// the offset is one this namespace gave, and none after it was dropped.
    fn after(&self, offset: &str) -> Option<usize> {
        let offset: Offset = offset.parse().ok()?;
        if offset.minor() != 0 {
            return None;
        }
        let offset = offset.major();
        if offset >= self.next() || offset + 1 < self.first {
            return None;
        }
        usize::try_from(offset + 1 - self.first).ok()
    }

    fn expire(&mut self, now: Instant, config: &ConnectionStateRecovery) {
        while let Some((_, pid)) = self.by_age.first_key_value() {
            let expired = self.sessions.get(pid).is_none_or(|kept| {
                now.duration_since(kept.since) > config.max_disconnection_duration
            });
            if !expired {
                break;
            }
            let pid = *pid;
            self.by_age.pop_first();
            self.sessions.remove(&pid);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::socket::adapter::Room;

    fn session(rooms: &[&str]) -> SavedSession {
        let sid = Sid::random();
        let mut all = vec![Room::from(sid.as_str())];
        all.extend(rooms.iter().map(|room| Room::from(*room)));
        SavedSession {
            sid,
            pid: Sid::random(),
            rooms: all,
            data: serde_json::Value::Null,
        }
    }

    fn to(rooms: &[&str]) -> BroadcastOptions {
        BroadcastOptions {
            rooms: rooms.iter().map(|room| Room::from(*room)).collect(),
            ..BroadcastOptions::default()
        }
    }

    fn event(text: &str) -> BroadcastPacket {
        BroadcastPacket::new("/", "news", text).expect("an event")
    }

    fn texts(packets: &[BroadcastPacket]) -> Vec<&str> {
        packets.iter().map(BroadcastPacket::text).collect()
    }

    #[test]
    fn events_are_numbered_in_order_and_missed_ones_filtered_by_room() {
        let store = MemoryRecovery::new(ConnectionStateRecovery::default());
        let session = session(&["lobby"]);
        let first = store.keep(&event("a"), &to(&[]));
        assert_eq!(first.text(), r#"2["news","a","0"]"#);
        store.keep(&event("b"), &to(&["lobby"]));
        store.keep(&event("c"), &to(&["elsewhere"]));
        store.keep(&event("d"), &to(&[session.sid.as_str()]));
        let missed = store.missed(&session, "0").expect("all kept");
        assert_eq!(
            texts(&missed),
            [r#"2["news","b","1"]"#, r#"2["news","d","3"]"#]
        );
        assert_eq!(store.missed(&session, "3").map(|m| m.len()), Some(0));
    }

    #[test]
    fn a_session_comes_back_once_and_never_past_a_lost_event_or_a_forged_offset() {
        let config = ConnectionStateRecovery::default().max_packets(2);
        let store = MemoryRecovery::new(config);
        for text in ["a", "b", "c", "d"] {
            store.keep(&event(text), &to(&[]));
        }
        // Events 2 and 3 are kept: a client at 0 lost event 1, and none had 4.
        let kept = session(&[]);
        for offset in ["0", "4", "99", "1-1", "x", ""] {
            store.persist(kept.clone());
            assert_eq!(store.take(kept.pid, offset), None, "offset {offset:?}");
        }
        store.persist(kept.clone());
        assert_eq!(store.take(kept.pid, "1"), Some(kept.clone()));
        assert_eq!(store.take(kept.pid, "1"), None, "taken once");
        assert_eq!(store.take(Sid::random(), "1"), None, "unknown pid");
    }

    #[test]
    fn sessions_expire_and_the_oldest_go_past_the_limit() {
        let config = ConnectionStateRecovery::default().max_sessions(2);
        let store = MemoryRecovery::new(config);
        store.keep(&event("a"), &to(&[]));
        let [one, two, three] = [session(&[]), session(&[]), session(&[])];
        for kept in [&one, &two, &three] {
            store.persist(kept.clone());
        }
        assert_eq!(store.take(one.pid, "0"), None, "the oldest went first");
        assert!(store.take(two.pid, "0").is_some());
        assert!(store.take(three.pid, "0").is_some());

        let config = ConnectionStateRecovery::default().max_disconnection_duration(Duration::ZERO);
        let store = MemoryRecovery::new(config);
        store.keep(&event("a"), &to(&[]));
        store.persist(one.clone());
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(store.take(one.pid, "0"), None, "expired");
    }
}
