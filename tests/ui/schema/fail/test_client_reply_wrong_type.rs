// The answer to the server's typed `emit_with_ack` has the declared type.
include!("../test_client_fixture.rs");

async fn test(io: SocketIo) -> Result<(), TestError> {
    let mut client = TestClient::connect(&io, shop::Shop).await?;
    let (_, reply) = client.expect_with_ack::<shop::Confirm>().await?;
    reply.send("yes")?;
    Ok(())
}

fn main() {
    let _ = test;
}
