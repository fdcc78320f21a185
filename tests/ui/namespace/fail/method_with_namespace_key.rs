// Methods of a #[namespace] impl belong to it: `namespace =` is refused.
use ferrio::prelude::*;

#[derive(Clone)]
struct Chat;

#[namespace("/chat")]
impl Chat {
    #[on("say", namespace = "/other")]
    fn say(&self) {}
}

fn main() {}
