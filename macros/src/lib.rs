//! Procedural macros for [ferrio](https://docs.rs/ferrio).
//!
//! The `#[on]` handler DSL lands here; until then this crate only reserves its place in the
//! workspace so that `ferrio` can re-export it without a breaking change.
