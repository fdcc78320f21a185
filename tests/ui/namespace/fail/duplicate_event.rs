// Two methods for one event of a namespace is a compile error at the second.
use ferrio::prelude::*;

#[derive(Clone)]
struct Chat;

#[namespace("/chat")]
impl Chat {
    #[on("say")]
    fn say(&self) {}

    #[on("say")]
    fn say_again(&self) {}
}

fn main() {}
