// A borrowed parameter cannot be deserialized from a message that is gone after the call.
use ferrio::prelude::*;

#[on("greet")]
fn greet(_name: &str) {}

fn main() {}
