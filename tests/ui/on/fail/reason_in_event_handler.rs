// Only a disconnect handler receives the DisconnectReason.
use ferrio::prelude::*;

#[on("buy")]
fn buy(_reason: DisconnectReason) {}

fn main() {}
