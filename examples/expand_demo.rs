use ferrio::prelude::*;

#[derive(Deserialize)]
struct Equipment {
    id: String,
}

#[derive(Serialize)]
struct Receipt {
    id: String,
}

#[on("buy", namespace = "/game")]
async fn buy(socket: Socket, item: Equipment) -> Receipt {
    let _ = socket.emit("bought", &item.id);
    Receipt { id: item.id }
}

fn main() {}
