// A parameter that is neither an extractor nor Deserialize is named at its type.
use ferrio::prelude::*;

struct Equipment {
    id: String,
}

#[on("buy")]
fn buy(_item: Equipment) {}

fn main() {}
