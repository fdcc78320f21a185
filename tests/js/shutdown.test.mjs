// Graceful shutdown (testapp).
// Proves: on SIGINT the server stops, every connected client (WebSocket and polling) is
// disconnected, each socket's disconnect handler runs with the reason "server shutting
// down" (testapp prints one line per disconnect), and the process exits with code 0.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { startServer, ack, waitEvent, waitUntil, withTimeout } from "./harness.mjs";

describe("graceful shutdown (testapp)", () => {
  it("disconnects every client with the shutdown reason, then exits", async (t) => {
    const srv = await startServer("testapp", { t });
    const ws = await srv.connect("/", { transports: ["websocket"] });
    const polling = await srv.connect("/", { transports: ["polling"], upgrade: false });
    assert.deepEqual(await ack(ws, "join", "room"), ["room", ws.id].sort());
    const ids = [ws.id, polling.id];

    const gone = [waitEvent(ws, "disconnect", 5000), waitEvent(polling, "disconnect", 5000)];
    srv.stopping = true; // this exit is expected
    process.kill(srv.child.pid, "SIGINT");

    await Promise.all(gone);
    const exit = await withTimeout(srv.exited, 5000, "testapp to exit after SIGINT");
    assert.deepEqual(exit, { code: 0, signal: null });
    await waitUntil(
      () => ids.every((id) => srv.stdout.includes(`disconnect ${id} server shutting down`)),
      1000,
      `a "server shutting down" disconnect line for each of ${ids}; stdout: ${srv.stdout}`,
    );
  });
});
