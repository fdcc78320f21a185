// An error handler takes Socket and HandlerError only.
use ferrio::prelude::*;

#[on_error]
fn errors(socket: Socket, text: String) {}

fn main() {}
