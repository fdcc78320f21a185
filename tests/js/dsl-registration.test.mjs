// Registration of `#[on]` handlers (dslapp): class-based namespaces, explicit
// registration and duplicate detection.
// Proves: `/chat`, a namespace backed by one shared `Chat` object, joins rooms
// (acking the socket's sorted rooms, own id included) and broadcasts `said`
// with the object's "[chat]" prefix to the room except the sender, counting
// messages in ONE counter shared by all sockets; `/game` (the clicker game)
// answers clickGold to the sender only and prices known items, leaving unknown
// ones unacked; handlers are gathered automatically (all namespaces exist,
// an unknown one is still "Invalid namespace"); with ONLY=game only the two
// explicitly registered `/game` handlers exist (`/`, `/chat`, `/vip` are
// "Invalid namespace"); with DUPLICATE=1 two handlers for (`/`, `sum`) make
// the server refuse to start: non-zero exit, quickly, never listening, and
// stderr names the event and both handler function paths.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import {
  startServer,
  connected,
  connectError,
  ack,
  nextEvent,
  recorder,
  withTimeout,
  sleep,
} from "./harness.mjs";

const WS = { transports: ["websocket"] };
const POLL = { transports: ["polling"], upgrade: false };
const TRANSPORTS = [
  ["websocket", WS],
  ["polling", POLL],
];

/** Assert that `event` gets NO ack within `ms`. */
async function noAck(ms, socket, event, ...args) {
  let reply;
  await assert.rejects(
    socket
      .timeout(ms)
      .emitWithAck(event, ...args)
      .then((r) => {
        reply = r;
        throw new Error(`"${event}" was acked with ${JSON.stringify(r)} but no ack was expected`);
      }),
    (err) => {
      assert.equal(reply, undefined, err.message);
      assert.match(err.message, /timed out/);
      return true;
    },
  );
}

async function expectInvalidNamespace(srv, nsp, opts) {
  const s = srv.socket(nsp, opts);
  const err = await connectError(s, 3000);
  assert.equal(err.message, "Invalid namespace", `connect to ${nsp}`);
  assert.equal(s.connected, false);
  s.io._close();
}

const GOLD_MSG = "I see you clicking that gold";

/** The /game checks shared by the full server and ONLY=game. */
function gameTests(getSrv) {
  for (const [label, opts] of TRANSPORTS) {
    it(`clickGold -> goldClicked to the sender only (${label})`, async () => {
      const srv = getSrv();
      const a = await srv.connect("/game", opts);
      const b = await srv.connect("/game", opts);
      const recB = recorder(b);
      const got = nextEvent(a, "goldClicked", 2000);
      a.emit("clickGold");
      assert.deepEqual(await got, [GOLD_MSG]);
      const again = nextEvent(a, "goldClicked", 2000);
      a.emit("clickGold");
      assert.deepEqual(await again, [GOLD_MSG]);
      await sleep(100);
      assert.deepEqual(recB.of("goldClicked"), [], "another player does not see it");
      a.disconnect();
      b.disconnect();
    });

    it(`buy: known items are priced, an unknown id is not acked (${label})`, async () => {
      const srv = getSrv();
      const s = await srv.connect("/game", opts);
      assert.deepEqual(await ack(s, "buy", { id: "sword" }), { id: "sword", price: 10 });
      assert.deepEqual(await ack(s, "buy", { id: "shield" }), { id: "shield", price: 10 });
      await noAck(300, s, "buy", { id: "banana" });
      assert.deepEqual(await ack(s, "buy", { id: "sword" }), { id: "sword", price: 10 }, "still usable");
      s.disconnect();
    });
  }
}

describe("dslapp /chat: a class-based namespace with one shared object", () => {
  let srv;
  before(async () => {
    srv = await startServer("dslapp");
  });
  after(async () => {
    await srv?.stop();
  });

  it("join acks the socket's sorted rooms; say reaches the room except the sender; one shared counter", async () => {
    const a = await srv.connect("/chat", WS);
    const b = await srv.connect("/chat", POLL);
    const c = await srv.connect("/chat", WS);
    const outsider = await srv.connect("/chat", POLL);
    const rec = new Map([a, b, c, outsider].map((s) => [s, recorder(s)]));

    assert.deepEqual(await ack(a, "join", "lobby"), [a.id, "lobby"].sort());
    assert.deepEqual(await ack(a, "join", "alpha"), [a.id, "alpha", "lobby"].sort());
    assert.deepEqual(await ack(a, "join", "lobby"), [a.id, "alpha", "lobby"].sort(), "joining twice is idempotent");
    assert.deepEqual(await ack(b, "join", "lobby"), [b.id, "lobby"].sort());
    assert.deepEqual(await ack(c, "join", "lobby"), [c.id, "lobby"].sort());

    // first message on this server: the counter starts at 1
    const toB = nextEvent(b, "said", 2000);
    const toC = nextEvent(c, "said", 2000);
    assert.equal(await ack(a, "say", "lobby", "hello"), 1);
    assert.deepEqual(await toB, ["[chat] hello"]);
    assert.deepEqual(await toC, ["[chat] hello"]);

    // another socket (another transport) increments the same counter
    const toA = nextEvent(a, "said", 2000);
    const toC2 = nextEvent(c, "said", 2000);
    assert.equal(await ack(b, "say", "lobby", "hi back"), 2);
    assert.deepEqual(await toA, ["[chat] hi back"]);
    assert.deepEqual(await toC2, ["[chat] hi back"]);

    // a room where only the sender is: nobody receives, the counter still counts
    assert.equal(await ack(a, "say", "alpha", "alone"), 3);
    // the outsider (in no room) can say too; it shares the counter
    assert.equal(await ack(outsider, "say", "nobody-here", "void"), 4);

    await sleep(150);
    assert.deepEqual(rec.get(a).of("said"), [["[chat] hi back"]], "the sender never gets its own message");
    assert.deepEqual(rec.get(b).of("said"), [["[chat] hello"]]);
    assert.deepEqual(rec.get(c).of("said"), [["[chat] hello"], ["[chat] hi back"]]);
    assert.deepEqual(rec.get(outsider).of("said"), [], "a socket outside the room gets nothing");

    // a socket that left the server no longer counts as a room member, the counter goes on
    c.disconnect();
    const toB2 = nextEvent(b, "said", 2000);
    assert.equal(await ack(a, "say", "lobby", "after c left"), 5);
    assert.deepEqual(await toB2, ["[chat] after c left"]);

    // a fresh socket sees the same shared counter
    const d = await srv.connect("/chat", WS);
    assert.equal(await ack(d, "say", "lobby", "newcomer"), 6);
    for (const s of [a, b, d, outsider]) s.disconnect();
    srv.assertAlive();
  });

  it("concurrent says from several sockets: the shared counter loses nothing", async () => {
    const sockets = await Promise.all([
      srv.connect("/chat", WS),
      srv.connect("/chat", POLL),
      srv.connect("/chat", WS),
    ]);
    const base = await ack(sockets[0], "say", "busy", "first");
    const results = await Promise.all(
      sockets.flatMap((s, i) => Array.from({ length: 8 }, (_, k) => ack(s, "say", "busy", `m${i}-${k}`))),
    );
    assert.deepEqual(
      [...results].sort((x, y) => x - y),
      Array.from({ length: 24 }, (_, i) => base + 1 + i),
    );
    for (const s of sockets) s.disconnect();
  });

  it("/chat events do not leak into / (separate namespaces on one connection)", async () => {
    const m = srv.manager(WS);
    const root = m.socket("/");
    const chat = m.socket("/chat");
    await Promise.all([connected(root), connected(chat)]);
    assert.notEqual(root.id, chat.id);
    const peer = await srv.connect("/chat", WS);
    assert.deepEqual(await ack(peer, "join", "room-x"), [peer.id, "room-x"].sort());
    assert.deepEqual(await ack(chat, "join", "room-x"), [chat.id, "room-x"].sort());
    const recRoot = recorder(root);
    const got = nextEvent(chat, "said", 2000);
    await ack(peer, "say", "room-x", "ns check");
    assert.deepEqual(await got, ["[chat] ns check"]);
    await sleep(100);
    assert.deepEqual(recRoot.of("said"), [], "the / socket of the same connection gets nothing");
    // `/`'s own handlers are still there
    assert.equal(await ack(root, "sum", 2, 2), 4);
    root.disconnect();
    chat.disconnect();
    peer.disconnect();
  });
});

describe("dslapp /game (all handlers gathered automatically)", () => {
  let srv;
  before(async () => {
    srv = await startServer("dslapp");
  });
  after(async () => {
    await srv?.stop();
  });

  gameTests(() => srv);

  it("all namespaces of the app exist; an unknown one is 'Invalid namespace'", async () => {
    const root = await srv.connect("/", WS);
    assert.equal(await ack(root, "sum", 1, 2), 3);
    const chat = await srv.connect("/chat", WS);
    assert.deepEqual(await ack(chat, "join", "r"), [chat.id, "r"].sort());
    const vip = await srv.connect("/vip", { ...WS, auth: { pass: "gold" } });
    assert.ok(vip.connected);
    await expectInvalidNamespace(srv, "/nope", WS);
    await expectInvalidNamespace(srv, "/nope", POLL);
    for (const s of [root, chat, vip]) s.disconnect();
  });
});

describe("dslapp ONLY=game: explicit registration of the two /game handlers", () => {
  let srv;
  before(async () => {
    srv = await startServer("dslapp", { env: { ONLY: "game" } });
  });
  after(async () => {
    await srv?.stop();
  });

  gameTests(() => srv);

  for (const [label, opts] of TRANSPORTS) {
    it(`/, /chat and /vip are not registered: "Invalid namespace" (${label})`, async () => {
      await expectInvalidNamespace(srv, "/", opts);
      await expectInvalidNamespace(srv, "/chat", opts);
      await expectInvalidNamespace(srv, "/vip", { ...opts, auth: { pass: "gold" } });
      // and /game is unaffected afterwards
      const g = await srv.connect("/game", opts);
      assert.deepEqual(await ack(g, "buy", { id: "shield" }), { id: "shield", price: 10 });
      g.disconnect();
    });
  }

  it("no other handler was registered on /game (e.g. no catch-all): an unknown event is ignored", async () => {
    const g = await srv.connect("/game", WS);
    const rec = recorder(g);
    await noAck(200, g, "sum", 1, 2);
    g.emit("whatever", 1);
    await sleep(100);
    assert.deepEqual(rec.events, [], "nothing is sent back for events without a handler");
    assert.ok(g.connected, "an unhandled event does not disconnect");
    assert.deepEqual(await ack(g, "buy", { id: "sword" }), { id: "sword", price: 10 });
    g.disconnect();
    srv.assertAlive();
  });
});

describe("dslapp DUPLICATE=1: two handlers for (/, sum) refuse to start", () => {
  it("exits non-zero quickly without listening; stderr names 'sum' and both handler paths", async () => {
    const dir = process.env.FERRIO_BIN_DIR;
    assert.ok(dir, "FERRIO_BIN_DIR must be set");
    const bin = path.join(path.resolve(dir), "dslapp");
    assert.ok(existsSync(bin), `server binary not found: ${bin}`);

    const env = { ...process.env, PORT: "0", DUPLICATE: "1", RUST_BACKTRACE: "0" };
    delete env.ONLY;
    const child = spawn(bin, [], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    const t0 = Date.now();
    const exited = new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal })));
    let exit;
    try {
      exit = await withTimeout(exited, 5000, "dslapp DUPLICATE=1 to exit by itself");
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    const elapsed = Date.now() - t0;
    const ctx = `exit ${JSON.stringify(exit)}; stdout: ${JSON.stringify(stdout)}; stderr: ${JSON.stringify(stderr)}`;

    assert.equal(exit.signal, null, `exits by itself, not by a signal; ${ctx}`);
    assert.notEqual(exit.code, 0, `non-zero exit code; ${ctx}`);
    assert.ok(elapsed < 3000, `exits quickly (took ${elapsed} ms); ${ctx}`);
    assert.doesNotMatch(stdout, /ferrio listening/, `must never start listening; ${ctx}`);

    assert.match(stderr, /\bsum\b/, `stderr names the event "sum"; ${ctx}`);
    assert.match(stderr, /\bduplicate_sum\b/, `stderr names the duplicate handler path; ${ctx}`);
    // the original handler's path: a Rust path ending in `::sum` (not `duplicate_sum`)
    assert.match(stderr, /\w::sum\b/, `stderr names the original handler path (...::sum); ${ctx}`);
    assert.match(stderr, /\w::duplicate_sum\b/, `stderr names the duplicate handler path (...::duplicate_sum); ${ctx}`);
  });

  it("without DUPLICATE the same binary starts normally (control)", async (t) => {
    const srv = await startServer("dslapp", { t });
    const s = await srv.connect("/", WS);
    assert.equal(await ack(s, "sum", 40, 2), 42);
    s.disconnect();
  });
});
