// The TRANSPORTS setting of testapp.
// Proves: "websocket" refuses polling requests (400, code 0 "Transport
// unknown") while websocket clients work; "polling" offers no upgrade, refuses
// websocket connections, and a default socket.io-client stays on polling and
// works; the default "polling,websocket" offers the websocket upgrade.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  startServer,
  ack,
  sleep,
  expectEngineError,
  expectWsRefused,
  fetchT,
} from "./harness.mjs";

describe("TRANSPORTS (testapp)", () => {
  it("TRANSPORTS=websocket: polling refused, websocket works", async (t) => {
    const srv = await startServer("testapp", { t, env: { TRANSPORTS: "websocket" } });
    await expectEngineError(
      await fetchT(`${srv.url}/socket.io/?EIO=4&transport=polling`),
      0,
      "Transport unknown",
      "polling handshake with polling disabled",
    );
    const ws = srv.rawWs("/socket.io/?EIO=4&transport=websocket");
    const hs = await ws.handshake();
    assert.deepEqual(hs.upgrades, []);
    ws.close();
    const s = await srv.connect("/", { transports: ["websocket"] });
    assert.equal(await ack(s, "echo", "ws only"), "ws only");
    s.disconnect();
  });

  it("TRANSPORTS=polling: no upgrade offered, websocket refused, client stays on polling", async (t) => {
    const srv = await startServer("testapp", { t, env: { TRANSPORTS: "polling" } });
    const hs = await srv.rawPolling("/socket.io/").handshake();
    assert.deepEqual(hs.upgrades, [], "websocket must not be offered");

    await expectWsRefused(
      srv.rawWs("/socket.io/?EIO=4&transport=websocket"),
      2000,
      "websocket with TRANSPORTS=polling",
    );

    const s = await srv.connect("/"); // default client: would upgrade if offered
    await sleep(400);
    assert.equal(s.io.engine.transport.name, "polling");
    assert.equal(await ack(s, "echo", "polling only"), "polling only");
    s.disconnect();
  });

  it("default TRANSPORTS offers the websocket upgrade and the client takes it", async (t) => {
    const srv = await startServer("testapp", { t });
    const hs = await srv.rawPolling("/socket.io/").handshake();
    assert.deepEqual(hs.upgrades, ["websocket"]);
    const s = await srv.connect("/");
    const deadline = Date.now() + 3000;
    while (s.io.engine.transport.name !== "websocket" && Date.now() < deadline) await sleep(20);
    assert.equal(s.io.engine.transport.name, "websocket");
    assert.equal(await ack(s, "echo", "upgraded"), "upgraded");
    s.disconnect();
  });
});
