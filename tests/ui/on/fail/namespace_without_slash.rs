// A namespace must start with `/`: the error suggests the fix.
use ferrio::prelude::*;

#[on("buy", namespace = "game")]
fn handler() {}

fn main() {}
