// The key prefix (`Redis::builder(..).prefix(..)`, Node's `key` option): a ferrio member and a
// Node member both on the prefix `game` form one cluster, on `game#/#…`, `game-request#/#` and
// `game-response#/#` only; a ferrio member on the default prefix, on the same Redis, is a
// cluster of its own that neither hears nor is heard by them.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startCluster, startFerrio, ack, ackWithin, expectDelivery, freshEvent, waitUntil } from "./harness.mjs";
import { NODE_ENV, NODE_REQUESTS_TIMEOUT_MS } from "./suites.mjs";

const PREFIX = "game";

describe(`the key prefix: ferrio + Node on "${PREFIX}", ferrio on the default, one Redis`, () => {
  let cluster, F, N, D; // ferrio and Node on the prefix, ferrio on the default
  let f1, n1, d1;
  before(async () => {
    cluster = await startCluster(["ferrio", "node"], {
      env: { ferrio: { REDIS_KEY: PREFIX }, node: { ...NODE_ENV, REDIS_KEY: PREFIX } },
      prefix: PREFIX,
    });
    [F, N] = cluster.members;
    D = await startFerrio(cluster.redis, { name: "ferrio-default" });
    cluster.members.push(D);
    f1 = await F.client("f1");
    n1 = await N.client("n1");
    d1 = await D.client("d1");
    for (const c of [f1, n1, d1]) await ack(c.s, "join", "r1");
  });
  after(async () => {
    await cluster?.stop();
  });

  it(`each prefix has its own request channel: ${PREFIX} two subscribers, socket.io one`, async () => {
    assert.equal(await cluster.redis.numsub(`${PREFIX}-request#/#`), 2);
    await waitUntil(async () => (await cluster.redis.numsub("socket.io-request#/#")) === 1, 3000, "the default-prefix member to subscribe");
  });

  for (const [from, label] of [
    [() => f1, "ferrio"],
    [() => n1, "Node"],
  ]) {
    it(`a broadcast from the ${label} member crosses on ${PREFIX}#/#…, and does not reach the default-prefix member`, async () => {
      const event = freshEvent("prefixed");
      const mark = cluster.bus.mark();
      assert.equal(await ack(from().s, "broadcast", { to: ["r1"], includeSelf: true, event, args: [label] }), "done");
      await expectDelivery({ all: [f1, n1, d1], yes: [f1, n1], event, args: [label], bus: cluster.bus, mark });
      const channels = [...new Set(cluster.bus.since(mark).map((m) => m.channel))];
      assert.ok(channels.length > 0, "the broadcast went through Redis");
      for (const channel of channels) assert.ok(channel.startsWith(`${PREFIX}#/#`), `published on ${channel}`);
    });
  }

  it("a broadcast from the default-prefix member stays on socket.io#/#… and reaches only its own clients", async () => {
    const event = freshEvent("default");
    const mark = cluster.bus.mark();
    assert.equal(await ack(d1.s, "broadcast", { to: ["r1"], includeSelf: true, event, args: [1] }), "done");
    await expectDelivery({ all: [f1, n1, d1], yes: [d1], event, args: [1], bus: cluster.bus, mark });
    const channels = cluster.bus.since(mark).map((m) => m.channel);
    assert.ok(channels.length > 0, "the broadcast went through Redis");
    for (const channel of channels) assert.ok(channel.startsWith("socket.io#/#"), `published on ${channel}`);
  });

  it(`a cluster query on the prefixed ferrio member asks the Node member, not the default one`, async () => {
    const got = await ackWithin(NODE_REQUESTS_TIMEOUT_MS + 3000, f1.s, "room-sockets", "r1");
    assert.deepEqual(got, [f1.id, n1.id].sort());
    assert.deepEqual(await ack(d1.s, "room-sockets", "r1"), [d1.id], "the default-prefix member sees only its own");
  });
});
