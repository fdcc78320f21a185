// A handler future must be Send: holding an Rc across an await is refused.
use ferrio::prelude::*;
use std::rc::Rc;

#[on("tick")]
async fn tick() {
    let counter = Rc::new(1);
    tokio::task::yield_now().await;
    let _ = counter;
}

fn main() {}
