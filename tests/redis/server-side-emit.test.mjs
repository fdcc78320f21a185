// Server-side emit across a cluster of ferrio members (testapp with REDIS_URL): an event one
// server sends with io.server_side_emit reaches the `announce` listener of the other server
// (which tells its own clients), travels as Node's request type 6 on the request channel,
// and does not come back to the sender's own listener.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startCluster, ack, sleep, waitUntil } from "./harness.mjs";

describe("server-side emit across ferrio + ferrio", () => {
  let cluster;
  before(async () => {
    cluster = await startCluster(["ferrio", "ferrio"]);
  });
  after(async () => {
    await cluster?.stop();
  });

  it("reaches the other server's listener, not the sender's", async () => {
    const [a, b] = cluster.members;
    const onA = await a.client("onA");
    const onB = await b.client("onB");
    const heard = { A: [], B: [] };
    onA.s.on("announced", (...args) => heard.A.push(args));
    onB.s.on("announced", (...args) => heard.B.push(args));
    assert.equal(await ack(onA.s, "server-side-emit", { event: "announce", args: ["maintenance", 5] }), "done");
    await waitUntil(() => heard.B.length > 0, 3000, "the other server's clients to be told");
    assert.deepEqual(heard.B, [["maintenance", 5]]);
    await sleep(200);
    assert.deepEqual(heard.A, [], "the sender's own listener does not hear it");
  });
});
