// The acknowledgement has the declared type: using it as another is E0308.
include!("../test_client_fixture.rs");

async fn test(io: SocketIo) -> Result<(), TestError> {
    let mut client = TestClient::connect(&io, shop::Shop).await?;
    let _receipt: String = client.emit_with_ack(shop::Buy(Item { id: "sword".into() })).await?;
    Ok(())
}

fn main() {
    let _ = test;
}
