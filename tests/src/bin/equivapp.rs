//! `equivapp`: the equivalence suite's server (`ferrio_tests::equivalence`), for the real
//! socket.io-client of `tests/js/equivalence.test.mjs`. Environment: `PORT` (0 picks a free
//! port).

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port = std::env::var("PORT")
        .ok()
        .and_then(|port| port.parse().ok())
        .unwrap_or(3000);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("ferrio listening on http://{}", listener.local_addr()?);
    ferrio::serve(listener, ferrio_tests::equivalence::server()).await
}
