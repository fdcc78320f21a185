// Every mistake of an error handler's signature is reported, not only the first.
use ferrio::prelude::*;

#[on_error]
fn errors<T>(_error: HandlerError, _extra: u32) {}

fn main() {}
