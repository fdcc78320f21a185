// CORS with a list of allowed origins (testapp with CORS_ORIGINS).
// Proves: a listed origin gets the CORS headers with credentials; an unlisted origin is
// refused with HTTP 403 and the protocol's JSON error (code 4), on polling and on the
// WebSocket handshake alike; a request without an Origin (not from a browser) is served.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, fetchT, WebSocket, withTimeout } from "./harness.mjs";

const ALLOWED = "https://app.example.test";

describe("CORS origin list (testapp)", () => {
  let srv;
  before(async () => {
    srv = await startServer("testapp", { env: { CORS_ORIGINS: `${ALLOWED}, http://localhost:8080` } });
  });
  after(async () => {
    await srv?.stop();
  });

  const handshake = (headers) =>
    fetchT(`${srv.url}/socket.io/?EIO=4&transport=polling`, { headers });

  it("a listed origin is served with CORS headers and credentials", async () => {
    const res = await handshake({ Origin: ALLOWED });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("access-control-allow-origin"), ALLOWED);
    assert.equal(res.headers.get("access-control-allow-credentials"), "true");
    assert.match(await res.text(), /^0\{/);
  });

  it("an unlisted origin is refused with 403 and code 4", async () => {
    const res = await handshake({ Origin: "https://evil.example.test" });
    assert.equal(res.status, 403);
    assert.deepEqual(await res.json(), { code: 4, message: "Forbidden" });
  });

  it("an unlisted origin cannot open a WebSocket either", async () => {
    const ws = new WebSocket(`${srv.wsUrl}/socket.io/?EIO=4&transport=websocket`, {
      headers: { Origin: "https://evil.example.test" },
    });
    const status = await withTimeout(
      new Promise((resolve) => {
        ws.on("unexpected-response", (_req, res) => resolve(res.statusCode));
        ws.on("open", () => resolve("open"));
        ws.on("error", () => {});
      }),
      3000,
      "the refused WebSocket handshake",
    );
    ws.terminate();
    assert.equal(status, 403);
  });

  it("a request without Origin is served", async () => {
    const res = await handshake({});
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("access-control-allow-origin"), null);
  });
});
