// An #[on] without the event name says how to write one.
use ferrio::prelude::*;

#[on]
fn handler() {}

fn main() {}
