//! `ferrio::testing::TestClient` typed by a `#[schema]`: it emits the schema's client events,
//! gets their declared acknowledgements, reads the server's events as values, answers the
//! server's typed `emit_with_ack`, and tells an event whose arguments break the schema. What
//! does not compile is proven in `ui/schema/fail/test_client_*.rs`.

use ferrio::prelude::*;
use ferrio::schema::TS;
use ferrio::testing::TestClient;

#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq)]
pub struct Item {
    pub id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq)]
pub struct Receipt {
    pub id: String,
    pub price: u32,
}

#[schema(Shop, namespace = "/typed-shop")]
pub mod shop {
    use super::*;

    pub trait ClientToServer {
        fn buy(item: Item) -> Receipt;
        #[event("watchPrices")]
        fn watch_prices();
        fn checkout(order: u32);
        #[event("breakSchema")]
        fn break_schema();
    }

    pub trait ServerToClient {
        #[event("priceChanged")]
        fn price_changed(item: String, price: u32);
        fn restocked();
        fn confirm(order: u32) -> bool;
        #[event("checkedOut")]
        fn checked_out(order: u32, confirmed: bool);
    }
}

use shop::Shop;

#[on(shop::Buy)]
fn buy(item: Item) -> Receipt {
    Receipt {
        id: item.id,
        price: 12,
    }
}

#[on(shop::WatchPrices)]
fn watch_prices(socket: Socket<Shop>) {
    let _ = socket.emit(shop::PriceChanged("sword".into(), 12));
    let _ = socket.emit(shop::PriceChanged("shield".into(), 7));
    let _ = socket.emit(shop::Restocked);
}

#[on(shop::Checkout)]
async fn checkout(socket: Socket<Shop>, order: u32) {
    let confirmed = socket.emit_with_ack(shop::Confirm(order)).await;
    let _ = socket.emit(shop::CheckedOut(order, confirmed.unwrap_or(false)));
}

/// Sends `priceChanged` with arguments the schema does not declare, as a server that
/// emits dynamically may.
#[on(shop::BreakSchema)]
fn break_schema(socket: Socket<Shop>) {
    let _ = socket.untyped().emit("priceChanged", ("sword", "twelve"));
}

fn server() -> SocketIo {
    SocketIo::builder()
        .handlers(ferrio::handlers![buy, watch_prices, checkout, break_schema])
        .build()
}

#[tokio::test]
async fn emits_a_client_event_and_gets_its_declared_acknowledgement() {
    let io = server();
    let mut client = TestClient::connect(&io, Shop).await.expect("connects");
    assert_eq!(client.namespace(), "/typed-shop");
    let receipt = client
        .emit_with_ack(shop::Buy(Item { id: "sword".into() }))
        .await
        .expect("a receipt");
    assert_eq!(
        receipt,
        Receipt {
            id: "sword".into(),
            price: 12
        }
    );
}

#[tokio::test]
async fn reads_the_servers_events_as_values_in_order() {
    let io = server();
    let mut client = TestClient::connect(&io, Shop).await.expect("connects");
    client.emit(shop::WatchPrices).await.expect("emits");
    let shop::PriceChanged(item, price) = client.expect().await.expect("the first price");
    assert_eq!((item.as_str(), price), ("sword", 12));
    let shop::PriceChanged(item, price) = client.expect().await.expect("the second price");
    assert_eq!((item.as_str(), price), ("shield", 7));
    client
        .expect::<shop::Restocked>()
        .await
        .expect("the restock");
}

#[tokio::test]
async fn answers_the_servers_typed_emit_with_ack() {
    let io = server();
    let mut client = TestClient::connect(&io, Shop).await.expect("connects");
    client.emit(shop::Checkout(7)).await.expect("emits");
    let (shop::Confirm(order), reply) = client
        .expect_with_ack::<shop::Confirm>()
        .await
        .expect("asked to confirm");
    assert_eq!(order, 7);
    reply.send(true).expect("answers");
    let shop::CheckedOut(order, confirmed) = client.expect().await.expect("the outcome");
    assert_eq!((order, confirmed), (7, true));
}

#[tokio::test]
async fn another_event_or_arguments_off_the_schema_fail_with_what_came() {
    let io = server();
    let mut client = TestClient::connect(&io, Shop).await.expect("connects");
    client.emit(shop::WatchPrices).await.expect("emits");
    let error = client
        .expect::<shop::Restocked>()
        .await
        .expect_err("a price came first");
    assert_eq!(
        error.to_string(),
        r#"awaiting the event `restocked` on /typed-shop: got event `priceChanged` ["sword",12]"#
    );

    let mut client = TestClient::connect(&io, Shop).await.expect("connects");
    client.emit(shop::BreakSchema).await.expect("emits");
    let error = client
        .expect::<shop::PriceChanged>()
        .await
        .expect_err("a string where the schema declares a number");
    let message = error.to_string();
    assert!(
        message.starts_with("awaiting the arguments of `priceChanged` as a `test_client_typed::shop::PriceChanged`: invalid type: string \"twelve\", expected u32"),
        "{message}"
    );
}

#[tokio::test]
async fn untyped_emits_events_the_schema_does_not_declare() {
    let io = server();
    let client = TestClient::connect(&io, Shop).await.expect("connects");
    let mut client = client.untyped();
    let receipt: Receipt = client
        .emit_with_ack("buy", Item { id: "axe".into() })
        .await
        .expect("the same handler answers");
    assert_eq!(receipt.id, "axe");
    client.emit("nobodyListens", ()).await.expect("emits");
    client
        .expect_nothing(std::time::Duration::from_millis(50))
        .await
        .expect("an unknown event gets no answer");
}
