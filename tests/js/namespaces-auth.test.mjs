// Namespaces and connect-time auth.
// Proves (echo): `/` and `/custom` multiplex over one Engine.IO connection and
// keep their traffic apart; the `auth` event returns the client's auth payload
// ({} without one); an unknown namespace gets connect_error "Invalid namespace"
// without harming the other namespaces on the same connection; leaving one
// namespace keeps the others connected.
// Proves (testapp): the `/` middleware refuses token "bad" with message
// "bad token" and data {code: 42}; `/admin` only admits role "admin"; the
// refusals are exact on the wire; accepted sockets work normally.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  startServer,
  connected,
  connectError,
  ack,
  nextEvent,
  recorder,
  sleep,
} from "./harness.mjs";

describe("namespaces (echo)", () => {
  let srv;
  before(async () => {
    srv = await startServer("echo");
  });
  after(async () => {
    await srv?.stop();
  });

  it("/ and /custom share one engine connection and keep their events apart", async () => {
    const m = srv.manager({ transports: ["websocket"] });
    const root = m.socket("/");
    const custom = m.socket("/custom");
    const authRoot = nextEvent(root, "auth", 3000);
    const authCustom = nextEvent(custom, "auth", 3000);
    await Promise.all([connected(root), connected(custom)]);
    assert.equal(root.io, custom.io, "same Manager");
    assert.ok(root.io.engine, "engine exists");
    assert.notEqual(root.id, custom.id, "each namespace socket has its own id");
    assert.deepEqual(await authRoot, [{}]);
    assert.deepEqual(await authCustom, [{}]);

    const recRoot = recorder(root);
    const recCustom = recorder(custom);
    root.emit("message", "to-root");
    custom.emit("message", "to-custom");
    assert.deepEqual(await recRoot.waitFor("message-back", 1), [["to-root"]]);
    assert.deepEqual(await recCustom.waitFor("message-back", 1), [["to-custom"]]);
    assert.deepEqual(await ack(custom, "message-with-ack", 1, "c"), 1);
    await sleep(100);
    assert.deepEqual(recRoot.of("message-back"), [["to-root"]], "no cross-talk into /");
    assert.deepEqual(recCustom.of("message-back"), [["to-custom"]], "no cross-talk into /custom");
    root.disconnect();
    custom.disconnect();
  });

  it("multiplexing over polling works the same", async () => {
    const m = srv.manager({ transports: ["polling"], upgrade: false });
    const root = m.socket("/");
    const custom = m.socket("/custom", { auth: { who: "custom" } });
    const authCustom = nextEvent(custom, "auth", 3000);
    await Promise.all([connected(root), connected(custom)]);
    assert.deepEqual(await authCustom, [{ who: "custom" }]);
    const [a, b] = await Promise.all([
      ack(root, "message-with-ack", "r"),
      ack(custom, "message-with-ack", "c"),
    ]);
    assert.equal(a, "r");
    assert.equal(b, "c");
    root.disconnect();
    custom.disconnect();
  });

  it("auth payload is returned by the `auth` event", async () => {
    const auth = { token: "abc", n: 1, nested: { list: [1, "two", null] }, unicode: "ü✓" };
    const s = srv.socket("/custom", { auth, transports: ["websocket"] });
    const got = nextEvent(s, "auth", 3000);
    await connected(s);
    assert.deepEqual(await got, [auth]);
    s.disconnect();
  });

  it("without auth the `auth` event carries {}", async () => {
    const s = srv.socket("/", { transports: ["polling"], upgrade: false });
    const got = nextEvent(s, "auth", 3000);
    await connected(s);
    assert.deepEqual(await got, [{}]);
    s.disconnect();
  });

  it("an unknown namespace is refused with 'Invalid namespace'; the shared connection survives", async () => {
    const m = srv.manager({ transports: ["websocket"] });
    const root = m.socket("/");
    await connected(root);
    const bad = m.socket("/does-not-exist");
    const err = await connectError(bad);
    assert.equal(err.message, "Invalid namespace");
    assert.equal(bad.connected, false);
    // same engine, other namespace still fine
    assert.equal(await ack(root, "message-with-ack", "alive"), "alive");
    // and /custom can still be joined on that connection afterwards
    const custom = m.socket("/custom");
    await connected(custom);
    assert.equal(await ack(custom, "message-with-ack", "c"), "c");
    root.disconnect();
    custom.disconnect();
  });

  it("a lone unknown namespace is refused too (standalone connection)", async () => {
    const s = srv.socket("/nope", { transports: ["polling"], upgrade: false });
    const err = await connectError(s);
    assert.equal(err.message, "Invalid namespace");
  });

  it("raw: the refusal is CONNECT_ERROR with {message: 'Invalid namespace'} on the wire", async () => {
    const ws = srv.rawWs("/socket.io/?EIO=4&transport=websocket");
    await ws.handshake();
    ws.send("40/nope,");
    const reply = await ws.nextMatching((m) => typeof m === "string" && m.startsWith("4"), 2000, "CONNECT_ERROR");
    assert.ok(reply.startsWith("44/nope,"), `CONNECT_ERROR for /nope expected, got ${reply}`);
    assert.deepEqual(JSON.parse(reply.slice("44/nope,".length)), { message: "Invalid namespace" });
    // the engine connection stays usable for a valid namespace
    ws.send("40/custom,");
    const ok = await ws.nextMatching((m) => typeof m === "string" && m.startsWith("40/custom,"), 2000, "CONNECT /custom");
    assert.equal(typeof JSON.parse(ok.slice("40/custom,".length)).sid, "string");
    ws.close();
  });

  it("disconnecting one namespace keeps the other one on the same connection", async () => {
    const m = srv.manager({ transports: ["websocket"] });
    const root = m.socket("/");
    const custom = m.socket("/custom");
    await Promise.all([connected(root), connected(custom)]);
    const engine = m.engine;
    const reasons = [];
    root.on("disconnect", (r) => reasons.push(r));
    custom.disconnect();
    await sleep(100);
    assert.equal(custom.connected, false);
    assert.ok(root.connected, "/ still connected");
    assert.equal(m.engine, engine, "same engine");
    assert.equal(engine.readyState, "open");
    assert.equal(await ack(root, "message-with-ack", "x"), "x");
    assert.deepEqual(reasons, []);
    root.disconnect();
  });
});

describe("auth middleware (testapp)", () => {
  let srv;
  before(async () => {
    srv = await startServer("testapp");
  });
  after(async () => {
    await srv?.stop();
  });

  for (const [label, opts] of [
    ["websocket", { transports: ["websocket"] }],
    ["polling", { transports: ["polling"], upgrade: false }],
  ]) {
    it(`token "bad" is refused with message and data (${label})`, async () => {
      const s = srv.socket("/", { ...opts, auth: { token: "bad" } });
      const err = await connectError(s);
      assert.equal(err.message, "bad token");
      assert.deepEqual(err.data, { code: 42 });
      assert.equal(s.connected, false);
    });
  }

  it("other tokens, or none, are accepted", async () => {
    const a = await srv.connect("/", { auth: { token: "good" }, transports: ["websocket"] });
    const b = await srv.connect("/", { transports: ["websocket"] });
    const c = await srv.connect("/", { auth: { token: "BAD" }, transports: ["websocket"] });
    for (const s of [a, b, c]) {
      assert.ok(s.connected);
      assert.deepEqual(await ack(s, "echo", "ok"), "ok");
      s.disconnect();
    }
  });

  it("a refused socket does not break the connection for other namespaces", async () => {
    const m = srv.manager({ transports: ["websocket"] });
    const bad = m.socket("/", { auth: { token: "bad" } });
    const err = await connectError(bad);
    assert.equal(err.message, "bad token");
    const admin = m.socket("/admin", { auth: { role: "admin" } });
    await connected(admin);
    assert.equal(await ack(admin, "whoami"), "admin");
    admin.disconnect();
  });

  it("/admin without the admin role is refused", async () => {
    for (const auth of [undefined, {}, { role: "user" }, { token: "good" }]) {
      const s = srv.socket("/admin", { auth, transports: ["websocket"] });
      const err = await connectError(s);
      assert.equal(err.message, "admins only", `auth ${JSON.stringify(auth)}`);
      assert.equal(err.data, undefined, "no extra data for /admin refusals");
    }
  });

  it("/admin with role admin connects and answers whoami", async () => {
    const s = await srv.connect("/admin", { auth: { role: "admin" }, transports: ["polling"], upgrade: false });
    assert.equal(await ack(s, "whoami"), "admin");
    s.disconnect();
  });

  it("/admin and / multiplexed: each has its own events", async () => {
    const m = srv.manager({ transports: ["websocket"] });
    const root = m.socket("/");
    const admin = m.socket("/admin", { auth: { role: "admin" } });
    await Promise.all([connected(root), connected(admin)]);
    // The same event name reaches each namespace's own handler.
    assert.equal(await ack(admin, "whoami"), "admin");
    assert.equal(await ack(root, "whoami"), root.id);
    // `session-count` is a `/` handler only: on /admin nothing answers it.
    const unanswered = ack(admin, "session-count").then(
      () => "answered",
      () => "unanswered",
    );
    assert.equal(await Promise.race([unanswered, new Promise((r) => setTimeout(() => r("unanswered"), 300))]), "unanswered");
    root.disconnect();
    admin.disconnect();
  });

  it("an unknown namespace on testapp is 'Invalid namespace'", async () => {
    const s = srv.socket("/secret", { transports: ["websocket"] });
    const err = await connectError(s);
    assert.equal(err.message, "Invalid namespace");
  });

  it("raw: exact CONNECT_ERROR packets on the wire", async () => {
    const ws = srv.rawWs("/socket.io/?EIO=4&transport=websocket");
    await ws.handshake();
    ws.send('40/admin,{"role":"guest"}');
    const r1 = await ws.nextMatching((m) => typeof m === "string" && m.startsWith("44/admin,"), 2000, "CONNECT_ERROR /admin");
    assert.deepEqual(JSON.parse(r1.slice("44/admin,".length)), { message: "admins only" });
    ws.send('40{"token":"bad"}');
    const r2 = await ws.nextMatching((m) => typeof m === "string" && m.startsWith("44"), 2000, "CONNECT_ERROR /");
    const body = JSON.parse(r2.slice(2));
    assert.equal(body.message, "bad token");
    // socket.io-client exposes `data.data` as err.data
    assert.deepEqual(body.data, { code: 42 });
    ws.send('40/admin,{"role":"admin"}');
    const r3 = await ws.nextMatching((m) => typeof m === "string" && m.startsWith("40/admin,"), 2000, "CONNECT /admin");
    assert.equal(typeof JSON.parse(r3.slice("40/admin,".length)).sid, "string");
    ws.close();
  });
});
