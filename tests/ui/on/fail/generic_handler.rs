// Handlers cannot be generic: the error points at the generics.
use ferrio::prelude::*;

#[on("buy")]
fn buy<T: serde::de::DeserializeOwned>(item: T) {}

fn main() {}
