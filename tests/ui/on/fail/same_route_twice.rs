// Two stacked #[on] for the same event and namespace: the second is the error.
use ferrio::prelude::*;

#[on("buy")]
#[on("buy", namespace = "/")]
fn buy() {}

fn main() {}
