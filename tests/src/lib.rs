//! The integration tests' servers live in `src/bin/`; this library holds what they share
//! with no place in ferrio itself: the equivalence suite's server, an adapter written against
//! ferrio's public API alone, and
//! the README's examples compiled as doctests, so that they stay true (here rather than in the
//! `ferrio` crate, whose package must not reach outside its folder).

pub mod equivalence;
pub mod external_adapter;

/// The README's examples.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
