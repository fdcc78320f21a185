// #[on] goes on a function only.
use ferrio::prelude::*;

#[on("buy")]
struct Buy;

fn main() {}
