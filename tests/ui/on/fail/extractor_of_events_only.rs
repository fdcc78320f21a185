// An extractor implemented for events only cannot be a parameter of a disconnect handler.
use ferrio::prelude::*;
use ferrio::{BoxError, EventContext, FromContext};

struct Shout(String);

impl FromContext<EventContext> for Shout {
    fn from_context(context: &EventContext, _: usize) -> Result<Self, BoxError> {
        Ok(Shout(context.event().to_uppercase()))
    }
}

#[on("disconnect")]
fn disconnect(_shout: Shout) {}

fn main() {}
