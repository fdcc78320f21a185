// An empty event name is refused at the literal.
use ferrio::prelude::*;

#[on("")]
fn handler() {}

fn main() {}
