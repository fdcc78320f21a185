// An error handler's value acknowledges the failed event: sync or async, any Serialize type.
use ferrio::prelude::*;

#[derive(Serialize)]
struct Refusal {
    reason: String,
}

#[on_error(namespace = "/game")]
async fn game_errors(socket: Socket, error: HandlerError) -> Refusal {
    let _ = socket.emit("oops", ());
    Refusal {
        reason: error.to_string(),
    }
}

#[on_error]
fn errors(error: HandlerError) -> String {
    error.to_string()
}

#[on_error(namespace = "/quiet")]
fn quiet(_socket: &Socket, _error: HandlerError) {}

fn main() {
    let _ = SocketIo::builder().build();
}
