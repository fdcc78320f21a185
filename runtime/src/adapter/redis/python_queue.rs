//! python-socketio's message queue (Flask-SocketIO's `message_queue`), read only: what a
//! Python process publishes there (an emit, a room change, a disconnect) reaches the clients
//! of this server, so that a Flask app and ferrio can serve one audience during a migration.
//!
//! The format is python-socketio's JSON (5.14 and later): one channel, one JSON object per
//! message, `method` saying what to do. Older versions published pickles; those, and anything
//! else that is not that JSON, are logged and dropped, never interpreted.

use std::sync::Weak;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine as _;
use bytes::Bytes;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::Value;

use super::{Redis, Subscription, reconnect_subscriber};
use crate::payload::Payload;
use crate::server::{Shared, SocketIo};
use crate::socket::adapter::room_names;
use crate::socketio::packet::Args;

/// Messages larger than this are dropped (logged) without being parsed.
const MAX_MESSAGE: usize = 16 * 1024 * 1024;

/// Messages that were not python-socketio's JSON.
static SKIPPED: Occurrences = Occurrences::new("skipped a python-socketio queue message");
/// Python emits whose callback could not cross.
static CALLBACKS_DROPPED: Occurrences = Occurrences::new(
    "a python-socketio emit asked for a callback, which cannot cross the queue; delivered without",
);

/// Something that may happen often (a python-socketio before 5.14 publishes only pickles):
/// logged as a warning the first time and every thousandth, with the count so far.
struct Occurrences {
    what: &'static str,
    count: AtomicU64,
}

impl Occurrences {
    const fn new(what: &'static str) -> Self {
        Self {
            what,
            count: AtomicU64::new(0),
        }
    }

    fn report(&self, detail: &str) {
        let count = self.count.fetch_add(1, Ordering::Relaxed) + 1;
        if count == 1 || count.is_multiple_of(1000) {
            tracing::warn!(%detail, count, "{}", self.what);
        } else {
            tracing::debug!(%detail, count, "{}", self.what);
        }
    }
}

impl Redis {
    /// Delivers to this server's clients what python-socketio processes (a Flask-SocketIO
    /// app, or a write-only `RedisManager`) publish on their queue `channel`:
    /// `flask-socketio` is Flask-SocketIO's default, `socketio` python-socketio's.
    ///
    /// Emits (to everyone, rooms or socket ids, with `skip_sid`, binary included),
    /// `enter_room`, `leave_room`, `close_room` and `disconnect` act on this server's
    /// sockets; every ferrio server of a cluster reads the queue, so together they act on all.
    /// Python callbacks (acknowledgements) cannot cross: such an emit is delivered without
    /// one, logged. The queue is a trust boundary, as the adapter's channels are.
    ///
    /// Returns once subscribed; the reader then resubscribes after Redis comes back, and
    /// stops at the first message after the server is dropped. Call it once per channel: two
    /// readers of one channel deliver everything twice.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
    /// let redis = ferrio::Redis::connect("redis://127.0.0.1:6379").await?;
    /// let io = ferrio::SocketIo::builder().adapter(redis.adapter()).build();
    /// // A Flask worker's `SocketIO(message_queue="redis://...").emit("news", {...})` now
    /// // reaches ferrio's clients.
    /// redis.accept_python_queue(&io, "flask-socketio").await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// Redis cannot be reached.
    pub async fn accept_python_queue(
        &self,
        io: &SocketIo,
        channel: &str,
    ) -> Result<(), redis::RedisError> {
        let (mut sink, stream) = self.0.client.get_async_pubsub().await?.split();
        sink.subscribe(channel).await?;
        tokio::spawn(read_queue(
            self.0.client.clone(),
            channel.to_owned(),
            (sink, stream),
            io.downgrade(),
        ));
        Ok(())
    }
}

async fn read_queue(
    client: redis::Client,
    channel: String,
    // The sink is kept: the subscription lives as long as both halves.
    (mut _sink, mut stream): (redis::aio::PubSubSink, redis::aio::PubSubStream),
    io: Weak<Shared>,
) {
    let queue = [Subscription::Channel(channel.clone())];
    loop {
        let Some(message) = stream.next().await else {
            (_sink, stream) = reconnect_subscriber(&client, &queue).await;
            continue;
        };
        let Some(io) = SocketIo::from_shared(&io) else {
            return;
        };
        match PythonMessage::decode(message.get_payload_bytes()) {
            Ok(message) => message.apply(&io),
            Err(reason) => SKIPPED.report(&format!("{channel}: {reason}")),
        }
    }
}

/// One message of the queue, by its `method`.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
enum PythonMessage {
    Emit {
        event: String,
        data: Vec<Value>,
        #[serde(default)]
        binary: bool,
        namespace: Option<String>,
        /// A room, several, or `null` for everyone.
        room: Option<Value>,
        skip_sid: Option<Value>,
        callback: Option<Value>,
    },
    EnterRoom {
        sid: String,
        room: Value,
        namespace: Option<String>,
    },
    LeaveRoom {
        sid: String,
        room: Value,
        namespace: Option<String>,
    },
    CloseRoom {
        room: Value,
        namespace: Option<String>,
    },
    Disconnect {
        sid: String,
        namespace: Option<String>,
    },
    /// An acknowledgement on its way back to a Python server: not for ferrio.
    Callback {},
}

impl PythonMessage {
    fn decode(payload: &[u8]) -> Result<Self, String> {
        if payload.len() > MAX_MESSAGE {
            return Err(format!("{} bytes, more than {MAX_MESSAGE}", payload.len()));
        }
        if payload.first() != Some(&b'{') {
            return Err("not JSON (a pickle from python-socketio before 5.14?)".to_owned());
        }
        serde_json::from_slice(payload).map_err(|error| error.to_string())
    }

    /// Acts on this server's sockets.
    fn apply(self, io: &SocketIo) {
        let namespace_of = |namespace: &Option<String>| {
            let path = namespace.as_deref().unwrap_or("/");
            let operator = io.try_of(path).map(|operator| operator.local());
            if operator.is_none() {
                SKIPPED.report(&format!(
                    "namespace {path:?}, which this server does not serve"
                ));
            }
            operator
        };
        match self {
            PythonMessage::Emit {
                event,
                data,
                binary,
                namespace,
                room,
                skip_sid,
                callback,
            } => {
                let Some(operator) = namespace_of(&namespace) else {
                    return;
                };
                let args = match python_args(data, binary) {
                    Ok(args) => args,
                    Err(reason) => return SKIPPED.report(&format!("emit {event:?}: {reason}")),
                };
                if callback.is_some_and(|callback| !callback.is_null()) {
                    CALLBACKS_DROPPED.report(&event);
                }
                let mut operator = operator.except(room_names(skip_sid.as_ref()));
                if let Some(room) = room {
                    let rooms = room_names(Some(&room));
                    if rooms.is_empty() {
                        return;
                    }
                    operator = operator.to(rooms);
                }
                if let Err(error) = operator.emit(&event, &args) {
                    tracing::warn!(%event, %error, "a python-socketio emit could not be delivered");
                }
            }
            PythonMessage::EnterRoom {
                sid,
                room,
                namespace,
            } => {
                if let Some(operator) = namespace_of(&namespace) {
                    operator.to(sid).join(room_names(Some(&room)));
                }
            }
            PythonMessage::LeaveRoom {
                sid,
                room,
                namespace,
            } => {
                if let Some(operator) = namespace_of(&namespace) {
                    operator.to(sid).leave(room_names(Some(&room)));
                }
            }
            PythonMessage::CloseRoom { room, namespace } => {
                if let Some(operator) = namespace_of(&namespace) {
                    let rooms = room_names(Some(&room));
                    operator.to(rooms.clone()).leave(rooms);
                }
            }
            PythonMessage::Disconnect { sid, namespace } => {
                if let Some(operator) = namespace_of(&namespace) {
                    operator.to(sid).disconnect();
                }
            }
            PythonMessage::Callback {} => {}
        }
    }
}

/// The arguments of an emit. `data` is the argument list, except that a lone `null` stands
/// for none; with `binary`, `data` is the list with placeholders, then each attachment in
/// base64.
fn python_args(data: Vec<Value>, binary: bool) -> Result<Payload, &'static str> {
    let (values, attachments) = if binary {
        let mut data = data.into_iter();
        let Some(Value::Array(values)) = data.next() else {
            return Err("binary data without its argument list");
        };
        let attachments = data
            .map(|attachment| {
                let text = attachment.as_str().ok_or("an attachment is not a string")?;
                base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .map(Bytes::from)
                    .map_err(|_| "an attachment is not base64")
            })
            .collect::<Result<Vec<_>, _>>()?;
        (values, attachments)
    } else {
        (data, Vec::new())
    };
    let values = if values == [Value::Null] {
        Vec::new()
    } else {
        values
    };
    Ok(Payload::new(Args::new(values, attachments)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn payload(values: Vec<Value>) -> Payload {
        Payload::new(Args::new(values, Vec::new()))
    }

    #[test]
    fn decodes_an_emit_as_python_socketio_publishes_it() {
        let message = json!({"method": "emit", "event": "multi", "data": [1, "two"],
            "binary": false, "namespace": "/", "room": ["r1", "r2"], "skip_sid": "abc",
            "callback": null, "host_id": "d431fb"});
        assert_eq!(
            PythonMessage::decode(message.to_string().as_bytes()),
            Ok(PythonMessage::Emit {
                event: "multi".into(),
                data: vec![json!(1), json!("two")],
                binary: false,
                namespace: Some("/".into()),
                room: Some(json!(["r1", "r2"])),
                skip_sid: Some(json!("abc")),
                callback: None,
            })
        );
    }

    #[test]
    fn a_lone_null_is_no_argument_and_a_null_among_others_stays() {
        assert_eq!(python_args(vec![Value::Null], false), Ok(payload(vec![])));
        assert_eq!(
            python_args(vec![Value::Null, json!(5)], false),
            Ok(payload(vec![Value::Null, json!(5)]))
        );
    }

    #[test]
    fn binary_data_becomes_attachments() {
        let data = vec![
            json!([{"b": {"_placeholder": true, "num": 0}}]),
            json!("AAH/"),
        ];
        let args = python_args(data, true);
        assert_eq!(
            args.as_ref().map(Payload::attachments),
            Ok(&[Bytes::from_static(&[0, 1, 255])][..])
        );
        let arg = args.map(|args| {
            args.arg::<std::collections::HashMap<String, Vec<u8>>>(0)
                .ok()
        });
        assert_eq!(arg, Ok(Some([("b".to_owned(), vec![0, 1, 255])].into())));
    }

    #[test]
    fn refuses_pickles_unknown_methods_and_bad_attachments() {
        // pickle protocol 4 starts with 0x80 0x04
        assert!(PythonMessage::decode(b"\x80\x04\x95").is_err());
        assert!(PythonMessage::decode(br#"{"method": "exec", "code": "x"}"#).is_err());
        assert!(python_args(vec![json!([]), json!(3)], true).is_err());
        assert!(python_args(vec![json!([]), json!("not base64!")], true).is_err());
    }
}
