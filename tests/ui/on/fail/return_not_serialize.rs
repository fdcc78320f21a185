// The return value is the acknowledgement: it must be Serialize.
use ferrio::prelude::*;

struct Receipt {
    id: String,
}

#[on("buy")]
fn buy() -> Receipt {
    Receipt { id: String::new() }
}

fn main() {}
