// The Engine.IO v3 switch (testapp): by default an EIO=3 handshake (the socket.io client 2.x)
// is served, with the v3 length-prefixed payload and no maxPayload in the open packet; with
// allow_eio3(false) (ALLOW_EIO3=0) it is refused with HTTP 400 and code 5, and EIO=4 still works.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { startServer, fetchT } from "./harness.mjs";

describe("EIO=3 on and off (testapp)", () => {
  it("serves EIO=3 by default", async (t) => {
    const srv = await startServer("testapp", { t });
    const res = await fetchT(`${srv.url}/socket.io/?EIO=3&transport=polling`);
    assert.equal(res.status, 200);
    const body = await res.text();
    const match = /^(\d+):0(\{.*\})/.exec(body);
    assert.ok(match, `a v3 payload with the open packet, got ${body}`);
    const open = JSON.parse(match[2]);
    assert.equal(Number(match[1]), match[2].length + 1, "the length counts the packet");
    assert.deepEqual(Object.keys(open).sort(), ["pingInterval", "pingTimeout", "sid", "upgrades"]);
  });

  it("refuses EIO=3 with code 5 when switched off, and still serves EIO=4", async (t) => {
    const srv = await startServer("testapp", { t, env: { ALLOW_EIO3: "0" } });
    const refused = await fetchT(`${srv.url}/socket.io/?EIO=3&transport=polling`);
    assert.equal(refused.status, 400);
    assert.deepEqual(await refused.json(), { code: 5, message: "Unsupported protocol version" });
    const served = await fetchT(`${srv.url}/socket.io/?EIO=4&transport=polling`);
    assert.equal(served.status, 200);
    assert.match(await served.text(), /^0\{/);
  });
});
