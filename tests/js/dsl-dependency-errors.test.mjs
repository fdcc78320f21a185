// dslapp: handlers defined in a dependency crate (tests/shop, namespace /shop) are gathered
// like the program's own; a namespace's own #[on_error] handler receives its errors instead
// of the default one.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, ack, nextEvent } from "./harness.mjs";

describe("DSL: dependency crates and namespace error handlers (dslapp)", () => {
  let srv;
  before(async () => {
    srv = await startServer("dslapp");
  });
  after(async () => {
    await srv?.stop();
  });

  it("a handler from a library crate answers in its namespace", async () => {
    const shop = await srv.connect("/shop", { transports: ["websocket"] });
    assert.deepEqual(await ack(shop, "price", "sword"), { item: "sword", gold: 50 });
    shop.disconnect();
  });

  it("/game's own error handler gets the error of its handler, the default one does not", async () => {
    const game = await srv.connect("/game", { transports: ["websocket"] });
    const gameError = nextEvent(game, "game-error", 2000);
    const defaultError = nextEvent(game, "error-seen", 300).then(
      () => "default handler ran",
      () => "quiet",
    );
    game.emit("buy", { id: "dragon" });
    assert.deepEqual(await gameError, ["buy", "unknown equipment `dragon`"]);
    assert.equal(await defaultError, "quiet");
    game.disconnect();
  });
});
