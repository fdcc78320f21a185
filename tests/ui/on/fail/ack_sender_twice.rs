// AckSender can appear only once: the second is the error.
use ferrio::prelude::*;

#[on("save")]
fn save(first: AckSender, second: AckSender) {}

fn main() {}
