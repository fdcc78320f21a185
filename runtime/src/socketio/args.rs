//! The arguments of an event or ack: JSON, held as received when it can be, and binary
//! attachments.

use std::cell::Cell;
use std::fmt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use serde::ser::{Serialize, SerializeTuple, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;

/// Arguments of an event or ack: JSON (binary placeholders left in place) and the binary
/// attachments the placeholders `{"_placeholder":true,"num":N}` refer to, by index `N`.
#[derive(Clone, Default)]
pub(crate) struct Args {
    json: Json,
    pub(crate) attachments: Vec<Bytes>,
    /// Tells these arguments' attachments from any other's, so that a placeholder kept in a
    /// `serde_json::Value` goes out as the binary it stands for only while they are lent.
    pub(crate) id: u64,
}

/// The id of the next arguments built from values (`0` is no arguments' id).
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// How the JSON arguments are held.
#[derive(Clone)]
enum Json {
    /// Parsed: a binary packet's arguments, whose placeholders get resolved, and arguments
    /// built by the server.
    Values(Vec<Value>),
    /// A client's arguments as it sent them, each as its JSON text: deserialized straight into
    /// a handler's types and sent back verbatim, parsed into values only when asked.
    Raw {
        args: Vec<Box<RawValue>>,
        values: OnceLock<Vec<Value>>,
    },
}

impl Default for Json {
    fn default() -> Self {
        Json::Values(Vec::new())
    }
}

impl Args {
    /// Arguments as JSON values, with the attachments their placeholders refer to.
    pub(crate) fn new(values: Vec<Value>, attachments: Vec<Bytes>) -> Self {
        Args {
            json: Json::Values(values),
            attachments,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// Arguments as received JSON text, without attachments.
    pub(crate) fn raw(args: Vec<Box<RawValue>>) -> Self {
        Args {
            json: Json::Raw {
                args,
                values: OnceLock::new(),
            },
            attachments: Vec::new(),
            id: 0,
        }
    }

    /// How many arguments there are.
    pub(crate) fn len(&self) -> usize {
        match &self.json {
            Json::Values(values) => values.len(),
            Json::Raw { args, .. } => args.len(),
        }
    }

    /// The arguments as JSON values (parsed on first use when held as text).
    pub(crate) fn values(&self) -> &[Value] {
        match &self.json {
            Json::Values(values) => values,
            Json::Raw { args, values } => values.get_or_init(|| {
                // Each text was checked as JSON on arrival; only a number beyond f64's range
                // (valid JSON, `1e400`) does not parse into a value: it reads as null.
                let parse = |arg: &RawValue| serde_json::from_str(arg.get()).unwrap_or_default();
                args.iter().map(|arg| parse(arg)).collect()
            }),
        }
    }

    /// Argument `index` as received JSON text, when it is held so.
    pub(crate) fn text(&self, index: usize) -> Option<&RawValue> {
        match &self.json {
            Json::Values(_) => None,
            Json::Raw { args, .. } => args.get(index).map(|arg| &**arg),
        }
    }

    /// The arguments as a tuple of their received JSON texts, written verbatim by ferrio's
    /// packet encoder; `None` when they are held as values.
    pub(crate) fn verbatim(&self) -> Option<impl Serialize + '_> {
        match &self.json {
            Json::Values(_) => None,
            Json::Raw { args, .. } if writing_verbatim() => Some(Verbatim(args)),
            Json::Raw { .. } => None,
        }
    }
}

impl fmt::Debug for Args {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Args")
            .field("values", &self.values())
            .field("attachments", &self.attachments)
            .finish()
    }
}

impl PartialEq for Args {
    fn eq(&self, other: &Self) -> bool {
        self.values() == other.values() && self.attachments == other.attachments
    }
}

thread_local! {
    /// Set while ferrio's packet encoder writes arguments: it writes JSON with serde_json,
    /// which takes a `RawValue` as the text to write. Other serializers get values.
    static VERBATIM: Cell<bool> = const { Cell::new(false) };
}

/// Whether received JSON text is written as is: only by ferrio's packet encoder.
pub(crate) fn writing_verbatim() -> bool {
    VERBATIM.get()
}

/// Runs `f` (which writes arguments with serde_json) so that received JSON text is copied
/// into the output as is.
pub(crate) fn writing_json<R>(f: impl FnOnce() -> R) -> R {
    /// Puts the flag back, even if `f` panics.
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            VERBATIM.set(self.0);
        }
    }
    let _restore = Restore(VERBATIM.replace(true));
    f()
}

/// Received JSON texts as a tuple of arguments.
struct Verbatim<'a>(&'a [Box<RawValue>]);

impl Serialize for Verbatim<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut tuple = serializer.serialize_tuple(self.0.len())?;
        for arg in self.0 {
            tuple.serialize_element(&**arg)?;
        }
        tuple.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn raw(texts: &[&str]) -> Args {
        Args::raw(
            texts
                .iter()
                .filter_map(|t| RawValue::from_string((*t).to_owned()).ok())
                .collect(),
        )
    }

    #[test]
    fn received_text_parses_into_values_on_demand() {
        let args = raw(&[r#"{"a": [1, 2]}"#, r#""s""#]);
        assert_eq!(args.len(), 2);
        assert_eq!(args.values(), &[json!({"a": [1, 2]}), json!("s")]);
        assert_eq!(
            args,
            Args::new(vec![json!({"a": [1, 2]}), json!("s")], Vec::new())
        );
    }

    #[test]
    fn received_text_is_written_verbatim_only_by_the_packet_encoder() {
        let args = raw(&[r#"{"b":1,  "a":2}"#]);
        assert!(args.verbatim().is_none());
        let written = writing_json(|| args.verbatim().map(|v| serde_json::to_string(&v)));
        assert_eq!(
            written.and_then(Result::ok).as_deref(),
            Some(r#"[{"b":1,  "a":2}]"#)
        );
    }
}
