// The Err of a connect handler is sent to the client: it must be Serialize.
use ferrio::prelude::*;

struct Denied;

#[on("connect")]
fn connect() -> Result<(), Denied> {
    Err(Denied)
}

fn main() {}
