//! The clicker game's contract: what the page may send, what the server may emit, with their
//! payload types. rustc checks every handler and emit against it, and it exports the
//! TypeScript typings of `tests/ts/generated/clicker.d.ts`. The server-to-client payloads also
//! derive `Deserialize`, so that the tests read them through the typed test client.

use ferrio::prelude::*;
use ferrio::schema::TS;

/// What a player can buy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Equipment {
    /// Costs 10 gold, digs 1 gold a second.
    Shovel,
    /// Costs 100 gold, digs 10 gold a second.
    Excavator,
}

impl Equipment {
    /// Its price in gold.
    pub fn price(self) -> u64 {
        match self {
            Self::Shovel => 10,
            Self::Excavator => 100,
        }
    }

    /// How much gold it digs each second.
    pub fn gold_per_second(self) -> u64 {
        match self {
            Self::Shovel => 1,
            Self::Excavator => 10,
        }
    }

    /// Its name with its article, for messages.
    pub fn described(self) -> &'static str {
        match self {
            Self::Shovel => "a shovel",
            Self::Excavator => "an excavator",
        }
    }
}

/// The answer to `buy`: whether it was bought, and the gold left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Purchase {
    /// Whether the player could afford it.
    pub bought: bool,
    /// The player's gold afterwards.
    pub gold: u64,
}

/// A player's equipment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Inventory {
    /// Shovels owned.
    pub shovel: u64,
    /// Excavators owned.
    pub excavator: u64,
}

/// Everything a player's page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct GameState {
    /// The player's name.
    pub username: String,
    /// Gold in hand.
    pub gold: u64,
    /// What the player owns.
    pub equipment: Inventory,
    /// How much the equipment digs each second.
    pub gold_per_second: u64,
}

#[schema(Clicker, namespace = "/")]
pub mod clicker {
    use super::*;

    /// What a player's page sends.
    pub trait ClientToServer {
        /// The page says who plays.
        fn register(username: String);
        /// The player clicked the gold.
        #[event("clickGold")]
        fn click_gold();
        /// The player buys equipment; the acknowledgement says whether it was bought.
        fn buy(item: Equipment) -> Purchase;
    }

    /// What the server sends a player.
    pub trait ServerToClient {
        /// Answers a click.
        #[event("goldClicked")]
        fn gold_clicked(message: String);
        /// The player's state, pushed every second and after every change.
        #[event("gameState")]
        fn push_state(state: GameState);
        /// A purchase the player could not afford.
        fn refused(reason: String);
    }
}
