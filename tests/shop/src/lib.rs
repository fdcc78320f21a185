//! Handlers defined in a library crate: a server that depends on it gathers them with its own.

use ferrio::prelude::*;

/// A price list entry.
#[derive(Debug, Serialize)]
pub struct Price {
    /// The item.
    pub item: String,
    /// Its price in gold.
    pub gold: u32,
}

/// The price of an item, in `/shop`.
#[on("price", namespace = "/shop")]
pub fn price(item: String) -> Price {
    let gold = item.len() as u32 * 10;
    Price { item, gold }
}
