// `expect_with_ack` takes only server events that declare an acknowledgement.
include!("../test_client_fixture.rs");

async fn test(io: SocketIo) -> Result<(), TestError> {
    let mut client = TestClient::connect(&io, shop::Shop).await?;
    let _ = client.expect_with_ack::<shop::PriceChanged>().await?;
    Ok(())
}

fn main() {
    let _ = test;
}
