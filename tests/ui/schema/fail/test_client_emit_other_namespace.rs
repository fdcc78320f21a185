// The typed test client emits its own namespace's events: /chat's `say` on /shop does not compile.
include!("../test_client_fixture.rs");

async fn test(io: SocketIo) -> Result<(), TestError> {
    let mut client = TestClient::connect(&io, shop::Shop).await?;
    client.emit(chat::Say("hi".into())).await?;
    Ok(())
}

fn main() {
    let _ = test;
}
