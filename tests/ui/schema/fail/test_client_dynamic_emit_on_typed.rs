// A typed test client takes event values, not names: `.untyped()` emits by name.
include!("../test_client_fixture.rs");

async fn test(io: SocketIo) -> Result<(), TestError> {
    let mut client = TestClient::connect(&io, shop::Shop).await?;
    client.emit("buy", Item { id: "sword".into() }).await?;
    Ok(())
}

fn main() {
    let _ = test;
}
