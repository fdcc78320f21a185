// A client payload the test client sends must implement Serialize (the server only deserializes it).
use ferrio::prelude::*;
use ferrio::schema::TS;
use ferrio::testing::TestClient;

#[derive(Debug, Deserialize, TS)]
pub struct Note {
    pub text: String,
}

#[schema(Board, namespace = "/board")]
pub mod board {
    use super::*;
    pub trait ClientToServer {
        fn pin(note: Note);
    }
    pub trait ServerToClient {

    }
}

async fn test(io: SocketIo) -> Result<(), ferrio::testing::TestError> {
    let mut client = TestClient::connect(&io, board::Board).await?;
    client.emit(board::Pin(Note { text: "hi".into() })).await?;
    Ok(())
}

fn main() {
    let _ = test;
}
