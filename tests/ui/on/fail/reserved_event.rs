// Events socket.io reserves never reach a server: refused at the literal.
use ferrio::prelude::*;

#[on("connect_error")]
fn handler() {}

fn main() {}
