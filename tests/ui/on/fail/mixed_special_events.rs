// One function cannot be both a connect handler and an event handler.
use ferrio::prelude::*;

#[on("connect")]
#[on("hello")]
fn both(_socket: Socket) {}

fn main() {}
