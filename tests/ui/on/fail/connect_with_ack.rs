// A connect handler cannot acknowledge: AckSender is refused there.
use ferrio::prelude::*;

#[on("connect")]
fn connect(_ack: AckSender) {}

fn main() {}
