// The typed test client emits client events only: a server event does not compile.
include!("../test_client_fixture.rs");

async fn test(io: SocketIo) -> Result<(), TestError> {
    let mut client = TestClient::connect(&io, shop::Shop).await?;
    client.emit(shop::PriceChanged("sword".into(), 3)).await?;
    Ok(())
}

fn main() {
    let _ = test;
}
