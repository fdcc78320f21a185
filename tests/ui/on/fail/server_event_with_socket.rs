// A server event comes from another server: there is no socket to extract.
use ferrio::prelude::*;

#[on_server_event("count-players")]
fn count_players(_socket: Socket) -> usize {
    0
}

fn main() {}
