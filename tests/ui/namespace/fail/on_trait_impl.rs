// #[namespace] goes on an inherent impl, not a trait impl.
use ferrio::prelude::*;

#[derive(Default)]
struct Chat;

#[namespace("/chat")]
impl Clone for Chat {
    fn clone(&self) -> Self {
        Chat
    }
}

fn main() {}
