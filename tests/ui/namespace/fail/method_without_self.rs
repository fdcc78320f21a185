// Handlers of a #[namespace] impl take &self.
use ferrio::prelude::*;

#[derive(Clone)]
struct Chat;

#[namespace("/chat")]
impl Chat {
    #[on("say")]
    fn say(_text: String) {}
}

fn main() {}
