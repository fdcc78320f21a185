// Redis over TLS with AUTH (`rediss://:<password>@localhost:<port>`): a cluster of
// ferrio + Node + ferrio on a redis-server that serves TLS only (`--port 0 --tls-port N`,
// a throwaway CA and server certificate made with openssl, removed afterwards) and requires a
// password (`--requirepass`). Members trust the CA through REDIS_CA_FILE (ferrio: the
// builder's `root_certificate`; Node: node-redis `socket: {tls: true, ca}`).
//
// - the server has no plaintext listener; without the password commands get NOAUTH; a
//   plaintext client on the TLS port gets no answer;
// - broadcasts cross every way between the three members, and `room-sockets` (a cluster
//   request) gathers the sockets of all three;
// - a ferrio member does not start with a wrong password (AUTH enforced), without
//   REDIS_CA_FILE (the system roots do not trust the throwaway CA: verification is on), when
//   trusting another CA, or with a plaintext `redis://` URL on the TLS port.
//
// Mutual TLS: a second redis-server (its own) with `--tls-auth-clients yes` accepts only
// clients presenting a certificate its CA signed (makeTlsCerts()'s client certificate,
// extendedKeyUsage clientAuth). ferrio members present it through REDIS_CERT_FILE +
// REDIS_KEY_FILE (the builder's `client_certificate`):
//
// - two ferrio members presenting it start, and broadcasts cross between them;
// - a ferrio member without a client certificate, or with one another CA signed, is refused
//   by Redis during the handshake and exits without listening.

import { describe, it, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import {
  startCluster,
  startFerrio,
  makeTlsCerts,
  redisClient,
  closeClients,
  ack,
  withTimeout,
  expectDelivery,
  freshEvent,
  waitUntil,
  REQUEST_CHANNEL,
  RESPONSE_CHANNEL,
} from "./harness.mjs";
import { NODE_ENV } from "./suites.mjs";

const PASSWORD = `tls-${randomBytes(9).toString("base64url")}`;

// eslint-disable-next-line no-control-regex
const stripAnsi = (s) => s.replace(/\x1b\[[0-9;]*m/g, "");
/** Everything a member printed (stdout: tracing logs and the ready line; stderr: main's error). */
const output = (m) => stripAnsi(`${m.stdout}\n${m.stderr}`);

/**
 * Starts a ferrio member on `redis` with `env` over the defaults (REDIS_URL, REDIS_CA_FILE,
 * REDIS_CERT_FILE / REDIS_KEY_FILE); asserts it exits non-zero before listening, that its output
 * matches `reason`, and that it never subscribed (NUMSUB stays `subscribed`).
 */
/** The cluster's channels, for evidence. */
const channelsOf = async (redis) => JSON.stringify(await redis.channels("socket.io*"));

/** Stops a cluster and removes its key material. */
async function stopTls(cluster, certs) {
  try {
    await cluster?.stop();
  } finally {
    certs?.remove();
  }
}

async function expectStartFailure(redis, subscribed, name, env, reason) {
  const channels = () => channelsOf(redis);
  let member;
  try {
    member = await startFerrio(redis, { name, env });
  } catch (err) {
    assert.ok(err.member, `${name}: startFerrio failed without starting a member: ${err.stack}`);
    member = err.member;
  }
  if (member.url) {
    await member.stop().catch(() => {});
    assert.fail(`${name} started (listening on ${member.url}) but must not; output:\n${output(member).slice(-3000)}`);
  }
  assert.equal(member.url, null, `${name} must not listen; ${member.describe()}`);
  assert.ok(
    member.exit && member.exit.signal === null && member.exit.code !== 0,
    `${name} must exit on its own with a non-zero code (got ${JSON.stringify(member.exit)}); ${member.describe()}`,
  );
  assert.match(output(member), reason, `${name}: the reason in its output; ${member.describe()}`);
  assert.equal(
    await redis.numsub(REQUEST_CHANNEL),
    subscribed,
    `NUMSUB ${REQUEST_CHANNEL} after ${name}; channels ${await channels()}`,
  );
  return member;
}

describe("Redis over TLS with AUTH (rediss://): ferrio + Node + ferrio", () => {
  let certs, cluster, redis, bus;
  let A, N, B; // ferrio1, node1, ferrio2

  before(async () => {
    certs = makeTlsCerts();
    cluster = await startCluster(["ferrio", "node", "ferrio"], {
      env: { node: NODE_ENV },
      redis: { tls: certs, password: PASSWORD },
    });
    ({ redis, bus } = cluster);
    [A, N, B] = cluster.members;
  });
  after(() => stopTls(cluster, certs));
  afterEach(() => closeClients(cluster?.members ?? []));

  const channels = () => channelsOf(redis);

  /** expectStartFailure on this cluster's Redis, where the three members stay subscribed. */
  const expectStartFailure3 = (name, env, reason) => expectStartFailure(redis, 3, name, env, reason);

  it("Redis serves TLS only and requires AUTH; the three members are subscribed through it", async () => {
    assert.match(redis.url, /^rediss:\/\/:[^@]+@localhost:\d+$/, "the cluster's REDIS_URL");
    assert.deepEqual(await redis.client.sendCommand(["CONFIG", "GET", "port"]), ["port", "0"], "no plaintext listener");
    assert.deepEqual(
      await redis.client.sendCommand(["CONFIG", "GET", "tls-port"]),
      ["tls-port", String(redis.port)],
      "the TLS port is the members' port",
    );
    assert.ok(cluster.serverCountReached, `NUMSUB ${REQUEST_CHANNEL} reached 3; channels ${await channels()}`);
    assert.equal(await redis.numsub(REQUEST_CHANNEL), 3, `NUMSUB ${REQUEST_CHANNEL}; channels ${await channels()}`);
    assert.equal(await redis.numsub(RESPONSE_CHANNEL), 3, `NUMSUB ${RESPONSE_CHANNEL}; channels ${await channels()}`);

    // TLS without the password: the handshake succeeds, commands are refused
    const noAuth = redisClient(`rediss://localhost:${redis.port}`, redis.clientOptions);
    try {
      await withTimeout(noAuth.connect(), 3000, "a TLS client without password to connect");
      await assert.rejects(withTimeout(noAuth.ping(), 3000, "PING without password"), /NOAUTH/, "PING without the password");
    } finally {
      await noAuth.disconnect().catch(() => {});
    }

    // plaintext (with the password) on the TLS port: no PONG
    const plain = redisClient(`redis://:${PASSWORD}@127.0.0.1:${redis.port}`);
    const got = await withTimeout(
      plain.connect().then(() => plain.ping()),
      3000,
      "a plaintext client on the TLS port to fail",
    ).then(
      (pong) => ({ pong }),
      (err) => ({ error: err.message }),
    );
    await plain.disconnect().catch(() => {});
    assert.ok(got.error, `a plaintext client on the TLS port must fail, got ${JSON.stringify(got)}`);
  });

  it("broadcasts cross every way: a client of each member reaches the clients of the two others", async () => {
    const a = await A.client("a");
    const n = await N.client("n");
    const b = await B.client("b");
    const all = [a, n, b];
    for (const sender of all) {
      const event = freshEvent(`tls-from-${sender.member.name}`);
      const args = [`from ${sender.member.name} über TLS`, 42, { nested: [true, null, 1.5] }, Buffer.from([0, 0x7b, 0xff])];
      const mark = bus.mark();
      assert.equal(await ack(sender.s, "broadcast", { event, args }), "done", `${sender.label}: broadcast`);
      await expectDelivery({ all, yes: all.filter((c) => c !== sender), event, args, bus, mark });
      assert.ok(
        bus.since(mark).some((m) => m.channel.startsWith("socket.io#/#")),
        `the sniffer (over TLS) saw ${sender.member.name}'s broadcast on socket.io#/#…:\n${bus.describe(mark)}`,
      );
    }
  });

  it("a room broadcast from the Node member reaches only the room's clients of both ferrio members", async () => {
    const a = await A.client("a");
    const a2 = await A.client("a2");
    const n = await N.client("n");
    const b = await B.client("b");
    const b2 = await B.client("b2");
    for (const c of [a, b]) assert.deepEqual(await ack(c.s, "join", "tls-room"), [c.id, "tls-room"].sort(), `${c.label} joined`);
    const event = freshEvent("tls-room");
    const mark = bus.mark();
    assert.equal(await ack(n.s, "broadcast", { to: "tls-room", event, args: ["room"] }), "done");
    await expectDelivery({ all: [a, a2, n, b, b2], yes: [a, b], event, args: ["room"], bus, mark });
  });

  it("room-sockets (a cluster request) on a ferrio member lists the room's sockets of the Node member and the other ferrio member; and on the Node member", async () => {
    const a = await A.client("a");
    const a2 = await A.client("a2 (not in the room)");
    const n = await N.client("n");
    const n2 = await N.client("n2 (not in the room)");
    const b = await B.client("b");
    const b2 = await B.client("b2 (not in the room)");
    for (const c of [a, n, b]) {
      assert.deepEqual(await ack(c.s, "join", "tls-sockets"), [c.id, "tls-sockets"].sort(), `${c.label} joined`);
    }
    const expected = [a.id, n.id, b.id].sort();
    const isRequest = (m) => m.channel.startsWith("socket.io-request#") || m.channel.startsWith("socket.io-response#");
    for (const asker of [a, b, n]) {
      const mark = bus.mark();
      const got = await ack(asker.s, "room-sockets", "tls-sockets");
      assert.deepEqual(
        got,
        expected,
        `room-sockets on ${asker.member.name}: a=${a.id} (ferrio1) n=${n.id} (node1) b=${b.id} (ferrio2); ` +
          `not in the room: ${[a2, n2, b2].map((c) => c.id)}\nrequests/responses:\n${bus.describe(mark, { filter: isRequest })}`,
      );
    }
  });

  it("AUTH is enforced: a ferrio member with a wrong password exits without listening", async () => {
    const url = `rediss://:wrong-${PASSWORD}@localhost:${redis.port}`;
    await expectStartFailure3("ferrio-wrong-password", { REDIS_URL: url }, /WRONGPASS|AuthenticationFailed|authentication failed/i);
  });

  it("the certificate is verified: a ferrio member without REDIS_CA_FILE (system roots) refuses it and exits", async () => {
    await expectStartFailure3("ferrio-no-ca", { REDIS_CA_FILE: null }, /UnknownIssuer|invalid peer certificate|certificate/i);
  });

  it("the certificate is verified against the given CA: a ferrio member trusting another CA refuses it and exits", async () => {
    const other = makeTlsCerts();
    try {
      await expectStartFailure3("ferrio-other-ca", { REDIS_CA_FILE: other.ca }, /UnknownIssuer|invalid peer certificate|BadSignature|certificate/i);
    } finally {
      other.remove();
    }
  });

  it("a ferrio member with a plaintext redis:// URL on the TLS port exits without listening", async () => {
    await expectStartFailure3(
      "ferrio-plaintext",
      { REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${redis.port}`, REDIS_CA_FILE: null },
      /connection|reset|closed|eof|broken pipe/i,
    );
  });

  it("a ferrio member WITHOUT a password exits without listening (NOAUTH)", async () => {
    await expectStartFailure3("ferrio-no-password", { REDIS_URL: `rediss://localhost:${redis.port}` }, /NOAUTH/);
  });
});

describe("Mutual TLS (rediss:// + --tls-auth-clients yes): ferrio + ferrio presenting a client certificate", () => {
  let certs, cluster, redis, bus;
  let A, B; // ferrio1, ferrio2

  before(async () => {
    certs = makeTlsCerts();
    cluster = await startCluster(["ferrio", "ferrio"], {
      redis: { tls: certs, requireClientCert: true },
    });
    ({ redis, bus } = cluster);
    [A, B] = cluster.members;
  });
  after(() => stopTls(cluster, certs));
  afterEach(() => closeClients(cluster?.members ?? []));

  const channels = () => channelsOf(redis);

  /** Redis logged (after its output's offset `before`) refusing a connection, for `reason`. */
  async function expectRedisRefused(before, reason) {
    const refusal = /Error accepting a client connection: (.*)/;
    const line = await waitUntil(() => refusal.exec(redis.output.slice(before))?.[0], 1000, "redis-server to log the refusal").catch(() => null);
    assert.ok(line, `redis-server logs "Error accepting a client connection: …" (the refusal); its output since:\n${redis.output.slice(before) || "(nothing)"}`);
    assert.match(line, reason, "the refusal Redis logged");
  }

  it("two ferrio members presenting the client certificate start on a Redis that requires one, and broadcasts cross between them", async () => {
    assert.deepEqual(
      await redis.client.sendCommand(["CONFIG", "GET", "tls-auth-clients"]),
      ["tls-auth-clients", "yes"],
      "Redis requires client certificates",
    );
    assert.deepEqual(await redis.client.sendCommand(["CONFIG", "GET", "port"]), ["port", "0"], "no plaintext listener");
    assert.equal(redis.url, `rediss://localhost:${redis.port}`, "the cluster's REDIS_URL");
    for (const m of [A, B]) {
      assert.ok(m.url, `${m.name} listens; ${m.describe()}`);
      m.assertAlive();
    }
    assert.ok(cluster.serverCountReached, `NUMSUB ${REQUEST_CHANNEL} reached 2; channels ${await channels()}`);
    assert.equal(await redis.numsub(REQUEST_CHANNEL), 2, `NUMSUB ${REQUEST_CHANNEL}; channels ${await channels()}`);
    assert.equal(await redis.numsub(RESPONSE_CHANNEL), 2, `NUMSUB ${RESPONSE_CHANNEL}; channels ${await channels()}`);

    const a = await A.client("a");
    const b = await B.client("b");
    const all = [a, b];
    for (const [sender, includeSelf] of [
      [a, false],
      [b, true],
    ]) {
      const event = freshEvent(`mtls-from-${sender.member.name}`);
      const args = [`from ${sender.member.name} over mutual TLS`, 7, { nested: [false, null] }, Buffer.from([0xff, 0, 0x7b])];
      const mark = bus.mark();
      assert.equal(await ack(sender.s, "broadcast", { event, args, includeSelf }), "done", `${sender.label}: broadcast`);
      const yes = includeSelf ? all : all.filter((c) => c !== sender);
      await expectDelivery({ all, yes, event, args, bus, mark });
      assert.ok(
        bus.since(mark).some((m) => m.channel.startsWith("socket.io#/#")),
        `the sniffer (over mutual TLS) saw ${sender.member.name}'s broadcast on socket.io#/#…:\n${bus.describe(mark)}`,
      );
    }
  });

  it("a ferrio member without a client certificate (REDIS_CERT_FILE / REDIS_KEY_FILE unset) is refused by Redis and exits without listening", async () => {
    const before = redis.output.length;
    await expectStartFailure(
      redis,
      2,
      "ferrio-no-client-cert",
      { REDIS_CERT_FILE: null, REDIS_KEY_FILE: null },
      /CertificateRequired|certificate required|HandshakeFailure|handshake|fatal alert/i,
    );
    await expectRedisRefused(before, /did not return a certificate|certificate|handshake/i);
  });

  it("a ferrio member presenting a client certificate signed by another CA is refused by Redis and exits without listening", async () => {
    const other = makeTlsCerts();
    try {
      const before = redis.output.length;
      await expectStartFailure(
        redis,
        2,
        "ferrio-other-ca-client-cert",
        { REDIS_CERT_FILE: other.clientCert, REDIS_KEY_FILE: other.clientKey },
        /UnknownCA|unknown ca|BadCertificate|bad certificate|DecryptError|fatal alert/i,
      );
      await expectRedisRefused(before, /certificate verify failed|unknown ca|certificate/i);
    } finally {
      other.remove();
    }
  });
});
