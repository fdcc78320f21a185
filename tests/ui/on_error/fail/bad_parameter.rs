// An error handler takes Socket and HandlerError only.
use ferrio::prelude::*;

#[on_error]
fn errors(_socket: Socket, _text: String) {}

fn main() {}
