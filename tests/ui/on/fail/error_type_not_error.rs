// The Err of a handler goes to the error handler: it must convert into a boxed error.
use ferrio::prelude::*;

struct Oops;

#[on("buy")]
fn buy() -> Result<u32, Oops> {
    Err(Oops)
}

fn main() {}
