//! Adapters: the in-memory one for a single server and, with feature `redis`, the one that
//! scales out through Redis on Node's wire format. The trait they implement belongs to the
//! socket layer ([`crate::socket::adapter`]).

mod local;
mod recovery;
#[cfg(feature = "redis")]
mod redis;
// The wire format of Node's Redis adapter: the Redis adapter (feature `redis`) builds on it.
#[cfg(any(test, feature = "redis"))]
mod wire;

pub use local::LocalAdapter;
#[cfg(feature = "redis")]
pub use redis::{Redis, RedisAdapter, RedisBuilder, RedisStreams, RedisStreamsAdapter};
