// An error handler returns ().
use ferrio::prelude::*;

#[on_error(namespace = "/game")]
fn errors(_error: HandlerError) -> bool {
    true
}

fn main() {}
