// An event the server emits with an acknowledgement is read with `expect_with_ack`, to answer it.
include!("../test_client_fixture.rs");

async fn test(io: SocketIo) -> Result<(), TestError> {
    let mut client = TestClient::connect(&io, shop::Shop).await?;
    let _ = client.expect::<shop::Confirm>().await?;
    Ok(())
}

fn main() {
    let _ = test;
}
