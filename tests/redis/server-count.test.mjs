// Server count: the classic adapter counts servers with `PUBSUB NUMSUB socket.io-request#/#`
// (no heartbeat), so every member must hold exactly one subscription to it, and subscribe the
// response channels and the broadcast pattern like Node does.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  startCluster,
  waitUntil,
  sleep,
  REQUEST_CHANNEL,
  RESPONSE_CHANNEL,
  BROADCAST_PATTERN,
} from "./harness.mjs";
import { NODE_ENV } from "./suites.mjs";

/** The members' Redis connections (CLIENT LIST minus the harness's own), with sub/psub counts. */
async function memberConnections(cluster) {
  return (await cluster.redis.clientList())
    .filter((c) => !c.name?.startsWith("ferrio-test-"))
    .map((c) => ({ id: c.id, name: c.name, sub: Number(c.sub), psub: Number(c.psub), cmd: c.cmd }));
}

async function evidence(cluster) {
  return (
    `channels ${JSON.stringify(await cluster.redis.channels("socket.io*"))}; ` +
    `member connections ${JSON.stringify(await memberConnections(cluster))}`
  );
}

async function start(t, kinds, opts) {
  const cluster = await startCluster(kinds, opts);
  t.after(() => cluster.stop());
  return cluster;
}

describe("server count (PUBSUB NUMSUB socket.io-request#/#)", () => {
  it("one ferrio member alone: NUMSUB is 1", async (t) => {
    const cluster = await start(t, ["ferrio"]);
    assert.equal(await cluster.redis.numsub(REQUEST_CHANNEL), 1, `NUMSUB ${REQUEST_CHANNEL}; ${await evidence(cluster)}`);
  });

  it("one ferrio member alone subscribes like Node: response, response#UID#, one pattern socket.io#NSP#* per namespace, on one connection", async (t) => {
    const cluster = await start(t, ["ferrio"]);
    const info = await evidence(cluster);
    assert.equal(await cluster.redis.numsub(RESPONSE_CHANNEL), 1, `NUMSUB ${RESPONSE_CHANNEL}; ${info}`);
    const channels = await cluster.redis.channels("socket.io*");
    assert.ok(
      channels.some((c) => /^socket\.io-response#\/#[A-Za-z0-9_-]+#$/.test(c)),
      `a specific response channel socket.io-response#/#UID#; ${info}`,
    );
    // testapp has two namespaces (/ and /admin): per namespace, 3 channels and 1 pattern
    const namespaces = channels.filter((c) => /^socket\.io-request#.*#$/.test(c)).length;
    assert.ok(namespaces >= 1, `request channels; ${info}`);
    const conns = await memberConnections(cluster);
    const subscribers = conns.filter((c) => c.sub || c.psub);
    assert.equal(subscribers.length, 1, `one subscriber connection; ${info}`);
    assert.equal(subscribers[0].sub, 3 * namespaces, `3 channels per namespace (${namespaces}); ${info}`);
    assert.equal(subscribers[0].psub, namespaces, `1 pattern (socket.io#NSP#*) per namespace; ${info}`);
    // NUMPAT counts distinct patterns: the harness's sniffer holds '*', the member one per namespace
    const numpat = Number(await cluster.redis.client.sendCommand(["PUBSUB", "NUMPAT"]));
    assert.equal(numpat, 1 + namespaces, `PUBSUB NUMPAT ('*' of the sniffer + ${BROADCAST_PATTERN} per namespace); ${info}`);
  });

  it("one ferrio member + one Node member: NUMSUB is 2 (exactly one subscription per member)", async (t) => {
    const cluster = await start(t, ["ferrio", "node"], { env: { node: NODE_ENV } });
    const first = await waitUntil(
      async () => {
        const n = await cluster.redis.numsub(REQUEST_CHANNEL);
        return n >= 2 ? n : 0;
      },
      3000,
      "NUMSUB to reach 2",
    ).catch(() => cluster.redis.numsub(REQUEST_CHANNEL));
    await sleep(200);
    const again = await cluster.redis.numsub(REQUEST_CHANNEL);
    const info = await evidence(cluster);
    assert.equal(first, 2, `NUMSUB ${REQUEST_CHANNEL}; ${info}`);
    assert.equal(again, 2, `NUMSUB stays 2; ${info}`);
    assert.equal(await cluster.redis.numsub(RESPONSE_CHANNEL), 2, `NUMSUB ${RESPONSE_CHANNEL}; ${info}`);

    // the ferrio member goes away: the Node member is alone again
    const ferrio = cluster.members.shift();
    await ferrio.stop();
    await waitUntil(async () => (await cluster.redis.numsub(REQUEST_CHANNEL)) === 1, 3000, "NUMSUB to drop to 1 once ferrio stopped");
  });

  it("two ferrio members: NUMSUB is 2", async (t) => {
    const cluster = await start(t, ["ferrio", "ferrio"]);
    assert.equal(await cluster.redis.numsub(REQUEST_CHANNEL), 2, `NUMSUB ${REQUEST_CHANNEL}; ${await evidence(cluster)}`);
  });
});
