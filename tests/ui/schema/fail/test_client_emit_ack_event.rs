// An event whose handler returns an acknowledgement is emitted with `emit_with_ack`.
include!("../test_client_fixture.rs");

async fn test(io: SocketIo) -> Result<(), TestError> {
    let mut client = TestClient::connect(&io, shop::Shop).await?;
    client.emit(shop::Buy(Item { id: "sword".into() })).await?;
    Ok(())
}

fn main() {
    let _ = test;
}
