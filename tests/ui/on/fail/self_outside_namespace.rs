// A method taking self needs a #[namespace] impl.
use ferrio::prelude::*;

struct Game;

impl Game {
    #[on("buy")]
    fn buy(&self) {}
}

fn main() {}
