// #[namespace] paths start with `/` too.
use ferrio::prelude::*;

#[derive(Clone)]
struct Chat;

#[namespace("chat")]
impl Chat {}

fn main() {}
