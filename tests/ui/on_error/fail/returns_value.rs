// An error handler returns ().
use ferrio::prelude::*;

#[on_error(namespace = "/game")]
fn errors(error: HandlerError) -> bool {
    true
}

fn main() {}
