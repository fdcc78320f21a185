// A server payload the test client reads must implement Deserialize (the server only serializes it).
use ferrio::prelude::*;
use ferrio::schema::TS;
use ferrio::testing::TestClient;

#[derive(Debug, Serialize, TS)]
pub struct Banner {
    pub text: String,
}

#[schema(Board, namespace = "/board")]
pub mod board {
    use super::*;
    pub trait ClientToServer {

    }
    pub trait ServerToClient {
        fn show(banner: Banner);
    }
}

async fn test(io: SocketIo) -> Result<(), ferrio::testing::TestError> {
    let mut client = TestClient::connect(&io, board::Board).await?;
    let _ = client.expect::<board::Show>().await?;
    Ok(())
}

fn main() {
    let _ = test;
}
