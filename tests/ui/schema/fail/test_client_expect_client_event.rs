// The typed test client reads server events only: a client event does not compile.
include!("../test_client_fixture.rs");

async fn test(io: SocketIo) -> Result<(), TestError> {
    let mut client = TestClient::connect(&io, shop::Shop).await?;
    let _ = client.expect::<shop::Buy>().await?;
    Ok(())
}

fn main() {
    let _ = test;
}
