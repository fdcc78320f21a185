//! Who may open the admin namespace: anyone, or the holder of a bcrypt-checked password, who
//! is then given a session id to reconnect with.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Mutex;

use serde_json::Value;

use crate::sync::lock;
use crate::{ConnectError, Sid};

/// How the admin namespace checks who connects, as the `auth` option of Node's `instrument`.
///
/// # Examples
///
/// ```
/// use ferrio::admin::Auth;
///
/// let auth = Auth::basic("admin", "$2a$10$BjMzjHifo..oU1bOQ.mAHOOxwDSfuTR7XEdG6ShZujgsP5KNu.LBq");
/// assert!(auth.is_ok());
/// assert!(Auth::basic("admin", "changeit").is_err(), "a password in clear is refused");
/// ```
#[derive(Clone)]
pub enum Auth {
    /// Anyone may connect: for a server no stranger can reach.
    None,
    /// The UI's username and password, the password checked against a bcrypt hash.
    Basic {
        /// The expected username.
        username: String,
        /// The bcrypt hash of the password (`$2b$10$...`).
        password_hash: String,
    },
}

impl Auth {
    /// Basic authentication with a bcrypt hash of the password.
    ///
    /// # Errors
    ///
    /// `password_hash` is not a bcrypt hash.
    pub fn basic(
        username: impl Into<String>,
        password_hash: impl Into<String>,
    ) -> Result<Self, InvalidHash> {
        let password_hash = password_hash.into();
        password_hash
            .parse::<bcrypt::HashParts>()
            .map_err(|_| InvalidHash)?;
        Ok(Self::Basic {
            username: username.into(),
            password_hash,
        })
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .finish_non_exhaustive(),
        }
    }
}

/// The password given to [`Auth::basic`] is not a bcrypt hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidHash;

impl fmt::Display for InvalidHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the admin UI's password must be a bcrypt hash ($2b$..)")
    }
}

impl std::error::Error for InvalidHash {}

/// How many session ids are kept; the oldest is forgotten first (its UI logs in again).
const MAX_SESSIONS: usize = 1024;

/// The session ids given to UIs that logged in.
#[derive(Default)]
pub(super) struct Sessions(Mutex<VecDeque<String>>);

impl Sessions {
    /// Admits a UI by its auth payload: a known `sessionId`, or the right `username` and
    /// `password`, which earn a new session id (returned, for the UI to keep).
    pub(super) async fn admit(
        &self,
        auth: &Auth,
        payload: &Value,
    ) -> Result<Option<String>, ConnectError> {
        let Auth::Basic {
            username,
            password_hash,
        } = auth
        else {
            return Ok(None);
        };
        let field = |name: &str| payload.get(name).and_then(Value::as_str);
        if let Some(session) = field("sessionId")
            && lock(&self.0).iter().any(|known| known == session)
        {
            return Ok(None);
        }
        let refused = || ConnectError::new("invalid credentials");
        if field("username") != Some(username.as_str()) {
            tracing::info!("admin UI refused: unknown username");
            return Err(refused());
        }
        let password = field("password").unwrap_or_default().to_owned();
        let hash = password_hash.clone();
        // bcrypt takes tens of milliseconds by design: off the runtime's threads.
        let matches = tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash))
            .await
            .is_ok_and(|verified| verified.unwrap_or(false));
        if !matches {
            tracing::info!("admin UI refused: wrong password");
            return Err(refused());
        }
        let session = Sid::random().to_string();
        let mut sessions = lock(&self.0);
        if sessions.len() == MAX_SESSIONS {
            sessions.pop_front();
        }
        sessions.push_back(session.clone());
        Ok(Some(session))
    }
}
