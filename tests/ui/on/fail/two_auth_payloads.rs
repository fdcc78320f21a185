// A connect handler takes one auth payload: the second is the error.
use ferrio::prelude::*;

#[on("connect")]
fn connect(_user: String, _token: String) {}

fn main() {}
