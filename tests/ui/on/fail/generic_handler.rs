// Handlers cannot be generic: the error points at the generics.
use ferrio::prelude::*;

#[on("buy")]
fn buy<T: serde::de::DeserializeOwned>(_item: T) {}

fn main() {}
