// `namespace` given twice is refused at the second.
use ferrio::prelude::*;

#[on("buy", namespace = "/a", namespace = "/b")]
fn handler() {}

fn main() {}
