// An acknowledgement the test client reads must implement Deserialize (the server only serializes it).
use ferrio::prelude::*;
use ferrio::schema::TS;
use ferrio::testing::TestClient;

#[derive(Debug, Serialize, TS)]
pub struct Ticket {
    pub text: String,
}

#[schema(Board, namespace = "/board")]
pub mod board {
    use super::*;
    pub trait ClientToServer {
        fn book(seat: u32) -> Ticket;
    }
    pub trait ServerToClient {

    }
}

async fn test(io: SocketIo) -> Result<(), ferrio::testing::TestError> {
    let mut client = TestClient::connect(&io, board::Board).await?;
    let _ticket = client.emit_with_ack(board::Book(4)).await?;
    Ok(())
}

fn main() {
    let _ = test;
}
