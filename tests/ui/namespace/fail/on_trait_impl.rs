// #[namespace] goes on an inherent impl, not a trait impl.
use ferrio::prelude::*;

#[derive(Clone, Default)]
struct Chat;

#[namespace("/chat")]
impl Default for Chat {
    fn default() -> Self {
        Chat
    }
}

fn main() {}
