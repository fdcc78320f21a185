// An unknown key is named, with the one key that exists.
use ferrio::prelude::*;

#[on("buy", nsp = "/game")]
fn handler() {}

fn main() {}
