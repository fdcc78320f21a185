//! Session and socket identifiers.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A map keyed by ids, hashed fast: ids are random (drawn here, or by a trusted server of
/// the cluster) and clients never choose one that gets stored, so the hash-flooding defence
/// of the standard hasher would buy nothing and costs a tenth of a broadcast's time.
pub(crate) type SidMap<V> = std::collections::HashMap<Sid, V, rustc_hash::FxBuildHasher>;

/// A set of ids, hashed as [`SidMap`] does.
pub(crate) type SidSet = std::collections::HashSet<Sid, rustc_hash::FxBuildHasher>;

/// The length of an id in characters: 15 random bytes in base64url.
const LEN: usize = 20;

/// A random, unguessable identifier of an Engine.IO session or a Socket.IO socket.
///
/// Ids have the shape Node's socket.io gives them (20 base64url characters drawn from 15 bytes
/// of the operating system's CSPRNG), so they can travel between ferrio and Node servers. An id
/// is `Copy` and hashes without allocation.
///
/// # Examples
///
/// ```
/// use ferrio::Sid;
///
/// let sid = Sid::random();
/// assert_eq!(sid.as_str().len(), 20);
/// assert_eq!(sid.as_str().parse::<Sid>(), Ok(sid));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sid([u8; LEN]);

impl Sid {
    /// Draws a new id from the operating system's random source.
    ///
    /// # Panics
    ///
    /// Panics if the operating system has no random source, as no id could then be trusted.
    pub fn random() -> Self {
        let mut random = [0u8; 15];
        #[allow(clippy::expect_used)]
        getrandom::fill(&mut random).expect("the operating system's random source is unavailable");
        let mut id = [0u8; LEN];
        // 15 bytes always encode to exactly 20 base64 characters.
        let written = URL_SAFE_NO_PAD.encode_slice(random, &mut id);
        debug_assert_eq!(written, Ok(LEN));
        Self(id)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        // Only base64url characters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// The error returned when text is not a valid [`Sid`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidSid;

impl fmt::Display for InvalidSid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a session id: expected 20 base64url characters")
    }
}

impl std::error::Error for InvalidSid {}

impl FromStr for Sid {
    type Err = InvalidSid;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes: [u8; LEN] = s.as_bytes().try_into().map_err(|_| InvalidSid)?;
        let base64url = |b: &u8| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_';
        if bytes.iter().all(base64url) {
            Ok(Self(bytes))
        } else {
            Err(InvalidSid)
        }
    }
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sid({})", self.as_str())
    }
}

impl serde::Serialize for Sid {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Sid {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_are_distinct_and_well_formed() {
        let a = Sid::random();
        let b = Sid::random();
        assert_ne!(a, b);
        assert!(a.as_str().parse::<Sid>().is_ok());
    }

    #[test]
    fn rejects_malformed_ids() {
        assert_eq!("short".parse::<Sid>(), Err(InvalidSid));
        assert_eq!("aaaaaaaaaaaaaaaaaaa!".parse::<Sid>(), Err(InvalidSid));
        assert_eq!("aaaaaaaaaaaaaaaaaaaaa".parse::<Sid>(), Err(InvalidSid));
    }
}
