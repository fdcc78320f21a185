// A disconnect handler receives no payload.
use ferrio::prelude::*;

#[on("disconnect")]
fn disconnect(reason: DisconnectReason, text: String) {}

fn main() {}
