// The event name must be a string literal, not a constant.
use ferrio::prelude::*;

const EVENT: &str = "buy";

#[on(EVENT)]
fn handler() {}

fn main() {}
