// Acknowledge by returning a value or with AckSender, not both.
use ferrio::prelude::*;

#[on("save")]
fn save(_ack: AckSender) -> u32 {
    1
}

fn main() {}
