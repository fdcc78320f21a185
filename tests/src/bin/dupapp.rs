//! `dupapp`: two annotated handlers for one event in two modules. The server must refuse to
//! start and name both; `tests/js/dsl-registration.test.mjs` checks that it does.

use ferrio::prelude::*;

#[on("sum")]
fn sum(a: i64, b: i64) -> i64 {
    a + b
}

mod elsewhere {
    use ferrio::prelude::*;

    #[on("sum")]
    fn duplicate_sum(a: i64, b: i64) -> i64 {
        a - b
    }
}

#[tokio::main]
async fn main() {
    match SocketIo::builder().try_build() {
        Ok(_) => println!("built a server with two handlers for one event"),
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(1);
        }
    }
}
