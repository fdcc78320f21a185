//! The integration tests' servers live in `src/bin/`; this library only compiles the README's
//! examples as doctests, so that they stay true (here rather than in the `ferrio` crate, whose
//! package must not reach outside its folder).

/// The README's examples.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
