// A connect handler returns () or Result<(), E>, not a value.
use ferrio::prelude::*;

#[on("connect")]
fn connect() -> u32 {
    1
}

fn main() {}
