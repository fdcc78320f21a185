// `emit_with_ack` takes only events that declare an acknowledgement.
include!("../test_client_fixture.rs");

async fn test(io: SocketIo) -> Result<(), TestError> {
    let mut client = TestClient::connect(&io, shop::Shop).await?;
    client.emit_with_ack(shop::WatchPrices).await?;
    Ok(())
}

fn main() {
    let _ = test;
}
