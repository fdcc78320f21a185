// Only a disconnect handler receives the DisconnectReason.
use ferrio::prelude::*;

#[on("buy")]
fn buy(reason: DisconnectReason) {}

fn main() {}
