// An error handler's return value is the failed event's acknowledgement: it must be Serialize.
use ferrio::prelude::*;

struct Verdict;

#[on_error(namespace = "/game")]
fn errors(_error: HandlerError) -> Verdict {
    Verdict
}

fn main() {}
