//! What the other servers publish: broadcasts to deliver to this server's sockets, and
//! requests to act on and answer. Nothing from the queue can crash the server: what does not
//! decode is logged and skipped.

use std::collections::HashSet;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};

use super::super::LocalAdapter;
use super::super::wire::{WireAckRequest, WireBroadcast, encode_ack_response};
use super::{Shared, request};
use crate::SocketIo;
use crate::payload::Payload;
use crate::socket::adapter::{Adapter, BroadcastOptions, BroadcastPacket, Room, room_names};
use crate::socketio::packet::{self, Args};

/// The longest a broadcast from the cluster may wait for its acknowledgements: the queue
/// decides the timeout, and this bounds what its pending entries can hold.
const MAX_ACK_TIMEOUT: Duration = Duration::from_secs(600);

/// Routes one message to its namespace.
pub(super) fn on_message(shared: &Shared, channel: &str, payload: &[u8]) {
    let namespaces = shared.namespaces.all();
    let rest = |kind: &str, path: &str| {
        channel
            .strip_prefix(shared.prefix.as_str())?
            .strip_prefix(kind)?
            .strip_prefix('#')?
            .strip_prefix(path)?
            .strip_prefix('#')
    };
    for (path, local) in namespaces.iter() {
        if let Some(room) = rest("", path) {
            // A broadcast to one room names it in its channel: skip it, undecoded, when no
            // socket of this server is in that room, as Node does.
            let room = room.strip_suffix('#').unwrap_or_default();
            if room.is_empty() || local.has_room(room) {
                on_broadcast(shared, local, payload);
            }
            return;
        }
        if rest("-request", path) == Some("") {
            return on_request(shared, local, payload);
        }
        if rest("-response", path).is_some() {
            return shared.on_response(payload);
        }
    }
}

fn on_broadcast(shared: &Shared, local: &LocalAdapter, payload: &[u8]) {
    let namespace = local.namespace();
    let broadcast = match WireBroadcast::decode(payload) {
        Ok(broadcast) => broadcast,
        Err(error) => {
            tracing::warn!(%error, "skipped a cluster broadcast that does not decode");
            return;
        }
    };
    if broadcast.uid == shared.uid || broadcast.namespace != namespace.path() {
        return;
    }
    if let Some((packet, options)) = to_local(broadcast, None) {
        let _ = local.broadcast(&packet, &options);
    }
}

/// A broadcast from the cluster as this server delivers it to its own sockets, asking each
/// for an acknowledgement `ack_id` if given.
pub(super) fn to_local(
    broadcast: WireBroadcast,
    ack_id: Option<u64>,
) -> Option<(BroadcastPacket, BroadcastOptions)> {
    let encoded = packet::encode_event(
        &broadcast.namespace,
        &broadcast.event,
        &Payload::new(broadcast.args),
        ack_id,
    )
    .ok()?;
    let options = BroadcastOptions {
        rooms: broadcast.rooms.into_iter().map(Room::from).collect(),
        except: broadcast.except.into_iter().map(Room::from).collect(),
        local: true,
    };
    Some((BroadcastPacket::from_frame(encoded.into()), options))
}

fn on_request(shared: &Shared, local: &LocalAdapter, payload: &[u8]) {
    let namespace = local.namespace();
    // Requests that may carry binary are MessagePack; the rest is JSON.
    if payload.first() != Some(&b'{') {
        return on_ack_request(shared, local, payload);
    }
    let Ok(request) = serde_json::from_slice::<Value>(payload) else {
        tracing::warn!("skipped a cluster request that does not decode");
        return;
    };
    if request.get("uid").and_then(Value::as_str) == Some(shared.uid.as_str()) {
        return;
    }
    let Some(ns) = namespace.get() else { return };
    let request_id = request.get("requestId").cloned().unwrap_or(Value::Null);
    let options = options_of(request.get("opts"));
    let rooms = room_names(request.get("rooms"));
    let respond = |response: Value| {
        shared.publish(
            shared.response_channel(namespace.path()),
            response.to_string().into_bytes(),
        );
    };
    match request.get("type").and_then(Value::as_u64) {
        Some(request::SOCKETS) => {
            let options = BroadcastOptions {
                rooms: rooms.iter().cloned().collect(),
                ..BroadcastOptions::default()
            };
            let sids = local.select(&options);
            respond(json!({ "requestId": request_id, "sockets": sids }));
        }
        Some(request::ALL_ROOMS) => {
            let rooms: Vec<String> = local.rooms().iter().map(|r| r.to_string()).collect();
            respond(json!({ "requestId": request_id, "rooms": rooms }));
        }
        Some(request::REMOTE_JOIN) => local.add_sockets(&options, &rooms),
        Some(request::REMOTE_LEAVE) => local.del_sockets(&options, &rooms),
        Some(request::REMOTE_DISCONNECT) => {
            let close = request
                .get("close")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            local.disconnect_sockets(&options, close);
        }
        Some(request::REMOTE_FETCH) => {
            let sockets = local.namespace().socket_info(&local.select(&options));
            respond(json!({ "requestId": request_id, "sockets": sockets }));
        }
        // ferrio's server events belong to the main namespace, where it sends its own.
        Some(request::SERVER_SIDE_EMIT) if namespace.path() == "/" => {
            let Some(Value::Array(data)) = request.get("data") else {
                return;
            };
            let Some((Value::String(event), args)) = data.split_first() else {
                return;
            };
            let args = Payload::new(Args::new(args.to_vec(), Vec::new()));
            let publish = shared.publish.clone();
            let channel = shared.response_channel(namespace.path());
            serve_server_event(&ns, event, args, async move |data| {
                if !request_id.is_null() {
                    let response = json!({ "type": request::SERVER_SIDE_EMIT, "requestId": request_id, "data": data });
                    let _ = publish
                        .send((channel, response.to_string().into_bytes()))
                        .await;
                }
            });
        }
        // Unknown types are ignored, as Node does.
        _ => {}
    }
}

/// Runs this server's listener of a server event from the cluster and hands its answer to
/// `answer`. Listeners start in the order their events came, as handlers do; one that has to
/// wait goes on in a task of its own, holding up nothing else. Without a listener there is no
/// answer, as in Node: a sender that asked for one waits out its timeout.
pub(super) fn serve_server_event<F>(
    ns: &crate::socket::namespace::Namespace,
    event: &str,
    args: Payload,
    answer: impl FnOnce(Value) -> F + Send + 'static,
) where
    F: Future<Output = ()> + Send,
{
    let Some(io) = SocketIo::of_namespace(ns) else {
        return;
    };
    let listener = io.server_event_listener(event);
    tracing::debug!(%event, listening = listener.is_some(), "server-side emit from the cluster");
    let Some(listener) = listener else { return };
    crate::socket::in_order::start_in_order(async move {
        let data = listener(io, args).await;
        answer(data).await;
    });
}

/// A Node server's broadcast with acknowledgements: delivered to the local sockets, answered
/// with their count at once, then with each acknowledgement as it comes.
fn on_ack_request(shared: &Shared, local: &LocalAdapter, payload: &[u8]) {
    let Ok(request) = WireAckRequest::decode(payload) else {
        tracing::warn!("skipped a cluster request that does not decode");
        return;
    };
    if request.uid == shared.uid || request.broadcast.namespace != local.namespace().path() {
        return;
    }
    let channel = shared.response_channel(local.namespace().path());
    let request_id = request.request_id;
    let count_channel = channel.clone();
    let count_id = wire_json(&request_id);
    let count = |count: usize| {
        let count = json!({ "type": 8, "requestId": count_id, "clientCount": count });
        shared.publish(count_channel, count.to_string().into_bytes());
    };
    let publish = shared.publish.clone();
    let ack = move |reply: std::sync::Arc<Args>| {
        let publish = publish.clone();
        let message = (channel.clone(), encode_ack_response(&request_id, &reply));
        async move {
            let _ = publish.send(message).await;
        }
    };
    answer_broadcast_with_ack(local, request.broadcast, request.timeout_ms, count, ack);
}

/// Delivers a broadcast from the cluster that asks each local socket for an acknowledgement:
/// `count` is told at once how many sockets were asked, and `ack` each answer as it comes,
/// until the timeout the sender gave (5 s when none).
pub(super) fn answer_broadcast_with_ack<F>(
    local: &LocalAdapter,
    broadcast: WireBroadcast,
    timeout_ms: Option<u64>,
    count: impl FnOnce(usize),
    mut ack: impl FnMut(std::sync::Arc<Args>) -> F + Send + 'static,
) where
    F: Future<Output = ()> + Send,
{
    let Some(ns) = local.namespace().get() else {
        return;
    };
    let id = ns.next_ack_id();
    let Some((packet, options)) = to_local(broadcast, Some(id)) else {
        return;
    };
    let timeout = Duration::from_millis(timeout_ms.unwrap_or(5000)).min(MAX_ACK_TIMEOUT);
    let mut acks = local.broadcast_with_ack(packet, id, &options, timeout);
    count(acks.len());
    tokio::spawn(async move {
        while let Some((_, reply)) = acks.next().await {
            if let Ok(reply) = reply {
                ack(reply.0).await;
            }
        }
    });
}

/// A MessagePack request id as JSON.
fn wire_json(id: &rmpv::Value) -> Value {
    match id {
        rmpv::Value::String(s) => Value::from(s.as_str().unwrap_or_default()),
        rmpv::Value::Integer(n) => n.as_u64().map_or(Value::Null, Value::from),
        _ => Value::Null,
    }
}

fn options_of(value: Option<&Value>) -> BroadcastOptions {
    let list = |key| {
        room_names(value.and_then(|opts| opts.get(key)))
            .into_iter()
            .collect::<HashSet<_>>()
    };
    BroadcastOptions {
        rooms: list("rooms"),
        except: list("except"),
        local: false,
    }
}
