// AckSender can appear only once: the second is the error.
use ferrio::prelude::*;

#[on("save")]
fn save(_first: AckSender, _second: AckSender) {}

fn main() {}
