//! Why a test client's step failed: what it awaited, and what happened instead.

use std::fmt;
use std::time::Duration;

use serde_json::Value;

/// Why a test client's step failed: what it awaited, and what happened instead.
///
/// Its `Display` says both, so that `?` in a test fails with a message that explains itself:
/// `awaiting the event `bought` on /game: got event `refused` ["sold out"]`.
///
/// # Examples
///
/// ```
/// # async fn f(io: ferrio::SocketIo) {
/// use ferrio::testing::TestClient;
///
/// let error = TestClient::connect(&io, "/admin").await.unwrap_err();
/// assert_eq!(error.refusal().unwrap()["message"], "not authorized");
/// # }
/// ```
#[derive(Debug)]
pub struct TestError {
    kind: Kind,
    awaited: String,
}

#[derive(Debug)]
enum Kind {
    Refused(Value),
    Timeout {
        after: Duration,
        queued: Vec<String>,
    },
    Unexpected(String),
    Transport(String),
    Encode(serde_json::Error),
    Decode(serde_json::Error),
}

impl TestError {
    pub(super) fn refused(awaited: String, error: Value) -> Self {
        Self {
            kind: Kind::Refused(error),
            awaited,
        }
    }

    pub(super) fn timeout(awaited: &str, after: Duration, queued: Vec<String>) -> Self {
        Self {
            kind: Kind::Timeout { after, queued },
            awaited: awaited.to_owned(),
        }
    }

    pub(super) fn transport(awaited: &str, reason: String) -> Self {
        Self {
            kind: Kind::Transport(reason),
            awaited: awaited.to_owned(),
        }
    }

    pub(super) fn unexpected(awaited: &str, got: String) -> Self {
        Self {
            kind: Kind::Unexpected(got),
            awaited: awaited.to_owned(),
        }
    }

    pub(super) fn encode(error: serde_json::Error) -> Self {
        Self {
            kind: Kind::Encode(error),
            awaited: "the arguments to serialize".to_owned(),
        }
    }

    pub(super) fn decode(awaited: String, error: serde_json::Error) -> Self {
        Self {
            kind: Kind::Decode(error),
            awaited,
        }
    }

    /// The CONNECT_ERROR's payload when the namespace refused the connection
    /// (`{"message": .., "data": ..}`).
    pub fn refusal(&self) -> Option<&Value> {
        match &self.kind {
            Kind::Refused(error) => Some(error),
            _ => None,
        }
    }

    /// Whether nothing came in time.
    pub fn is_timeout(&self) -> bool {
        matches!(self.kind, Kind::Timeout { .. })
    }
}

impl fmt::Display for TestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let awaited = &self.awaited;
        match &self.kind {
            Kind::Refused(error) => write!(f, "awaiting {awaited}: refused with {error}"),
            Kind::Timeout { after, queued } if queued.is_empty() => {
                write!(f, "awaiting {awaited}: nothing came within {after:?}")
            }
            Kind::Timeout { after, queued } => write!(
                f,
                "awaiting {awaited}: it did not come within {after:?}; queued meanwhile: {}",
                queued.join(", ")
            ),
            Kind::Unexpected(got) => write!(f, "awaiting {awaited}: got {got}"),
            Kind::Transport(reason) => write!(f, "awaiting {awaited}: {reason}"),
            Kind::Encode(error) | Kind::Decode(error) => write!(f, "awaiting {awaited}: {error}"),
        }
    }
}

impl std::error::Error for TestError {}
