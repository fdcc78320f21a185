// A disconnect handler receives no payload.
use ferrio::prelude::*;

#[on("disconnect")]
fn disconnect(_reason: DisconnectReason, _text: String) {}

fn main() {}
