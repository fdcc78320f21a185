// Handlers written with ferrio's `#[on]` attribute macros (dslapp), namespaces `/`, `/vip`
// and `/members`.
// Proves, over websocket and polling: the `/` connect handler reads the
// optional auth payload (`welcome` {user} right after connecting, "anonymous"
// without one) and refuses user "banned" with message "banned" and no data;
// typed arguments are extracted from the event's args (`sum` with an optional
// third arg, `multi` emitting three args, `pair` acking two args, `raw` seeing
// every arg, `bin` taking and returning a Buffer); an argument of the wrong
// type is acked with the `#[on_error]` handler's return value and gets an
// `error-seen` {event, extraction: true, message} naming the serde problem, a
// handler returning an error likewise with {extraction: false}, and the socket
// stays usable; an ack sender
// used after an await acks late; `message`/send() is answered by send();
// unhandled events reach the catch-all (`caught` [name, n]) and handled ones
// do not; per-socket session state (`count`, `seq-log`) and app-wide state
// (`visits`) behave as such; handlers of one socket start in arrival order;
// the disconnect handler records the reason (`last-disconnect`); `/vip` admits
// only pass "gold" and refuses with "connection refused" {code: 7}; `/members` takes an
// extractor of the app's own (the user of the auth payload) in its connect, event and
// disconnect handlers, refuses a connection without one with the extractor's message, and
// takes a payload struct named `Event` as a payload; a handler that acknowledges and then
// fails is acknowledged once (seen by a raw client), its error handler still running.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  startServer,
  connected,
  connectError,
  ack,
  ackWithin,
  nextEvent,
  recorder,
  waitEvent,
  waitUntil,
  sleep,
  sio,
} from "./harness.mjs";

const WS = { transports: ["websocket"] };
const POLL = { transports: ["polling"], upgrade: false };
const TRANSPORTS = [
  ["websocket", WS],
  ["polling", POLL],
];

/** Emit with an ack and resolve with ALL the ack's args (emitWithAck only gives the first). */
function ackAll(ms, socket, event, ...args) {
  return new Promise((resolve, reject) =>
    socket.timeout(ms).emit(event, ...args, (err, ...reply) =>
      err
        ? reject(new Error(`no ack for "${event}" within ${ms} ms (socket ${socket.id}): ${err.message}`))
        : resolve(reply),
    ),
  );
}

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

const sortArgs = (list) => [...list].sort((x, y) => String(x[0]).localeCompare(String(y[0])));

/** Connect to `/` and also capture the `welcome` event sent right after the connection. */
async function connectWithWelcome(srv, opts) {
  const s = srv.socket("/", opts);
  const welcome = nextEvent(s, "welcome", 3000);
  welcome.catch(() => {});
  await connected(s);
  return { s, welcome: await welcome };
}

describe("dslapp namespace /", () => {
  let srv;
  let observer;
  before(async () => {
    srv = await startServer("dslapp");
    observer = await srv.connect("/", WS);
  });
  after(async () => {
    await srv?.stop();
  });

  for (const [label, opts] of TRANSPORTS) {
    describe(`over ${label}`, () => {
      let s;
      let rec;
      before(async () => {
        ({ s } = await connectWithWelcome(srv, opts));
        rec = recorder(s);
      });
      after(() => s?.disconnect());

      it("connect without auth: welcome {user: 'anonymous'}", async () => {
        const { s: a, welcome } = await connectWithWelcome(srv, opts);
        assert.deepEqual(welcome, [{ user: "anonymous" }]);
        a.disconnect();
      });

      it("connect with auth {user}: welcome {user}", async () => {
        const { s: a, welcome } = await connectWithWelcome(srv, { ...opts, auth: { user: "alice" } });
        assert.deepEqual(welcome, [{ user: "alice" }]);
        a.disconnect();
      });

      it("user 'banned' is refused with message 'banned' and no data; others still connect", async () => {
        const b = srv.socket("/", { ...opts, auth: { user: "banned" } });
        const welcomed = [];
        b.on("welcome", (...a) => welcomed.push(a));
        const err = await connectError(b, 3000);
        assert.equal(err.message, "banned");
        assert.equal(err.data, undefined);
        assert.equal(b.connected, false);
        await sleep(50);
        assert.deepEqual(welcomed, [], "a refused socket is not welcomed");
        const { s: ok, welcome } = await connectWithWelcome(srv, { ...opts, auth: { user: "bannedX" } });
        assert.deepEqual(welcome, [{ user: "bannedX" }]);
        ok.disconnect();
        srv.assertAlive();
      });

      it("whoami acks the socket's own id", async () => {
        const id = await ack(s, "whoami");
        assert.equal(typeof id, "string");
        assert.equal(id, s.id);
        assert.notEqual(await ack(observer, "whoami"), id, "another socket has another id");
      });

      it("sum (plain fn): a+b, optional c", async () => {
        assert.equal(await ack(s, "sum", 2, 3), 5);
        assert.equal(await ack(s, "sum", 2, 3, 4), 9);
        assert.equal(await ack(s, "sum", -10, 3), -7);
        assert.equal(await ack(s, "sum", 0, 0, 0), 0);
      });

      it("sum with wrong types: the error handler's value is the ack, error-seen {event, extraction: true, message}, still usable", async () => {
        const before = rec.of("error-seen").length;
        const seen = nextEvent(s, "error-seen", 2000);
        const reply = await ackWithin(2000, s, "sum", "x", "y");
        const [info] = await seen;
        assert.deepEqual(reply, info, "the ack is what the #[on_error] function returned");
        assert.deepEqual(Object.keys(info).sort(), ["event", "extraction", "message"], JSON.stringify(info));
        assert.equal(info.event, "sum");
        assert.equal(info.extraction, true);
        assert.equal(typeof info.message, "string");
        assert.match(info.message, /invalid type/, `serde problem in ${JSON.stringify(info.message)}`);

        // one wrong argument among correct ones is refused as well
        const seen2 = nextEvent(s, "error-seen", 2000);
        const reply2 = await ackWithin(2000, s, "sum", 1, "2");
        const [info2] = await seen2;
        assert.deepEqual(reply2, info2);
        assert.equal(info2.event, "sum");
        assert.equal(info2.extraction, true);
        assert.match(info2.message, /invalid type/);

        // still usable; a successful call reports no error
        assert.equal(s.connected, true);
        assert.equal(await ack(s, "sum", 1, 1), 2);
        await sleep(50);
        assert.equal(rec.of("error-seen").length, before + 2, "exactly one error-seen per failed call");
        srv.assertAlive();
      });

      it("multi emits `got` with three args a, b, c.name", async () => {
        const got = nextEvent(s, "got", 2000);
        s.emit("multi", "foo", "bar", { name: "baz" });
        assert.deepEqual(await got, ["foo", "bar", "baz"]);
      });

      it("pair acks two args: x and its length", async () => {
        assert.deepEqual(await ackAll(2000, s, "pair", "hello"), ["hello", 5]);
        assert.deepEqual(await ackAll(2000, s, "pair", ""), ["", 0]);
      });

      it("checked: receipt for a name; an empty name is a handler error (acked by the error handler, error-seen)", async () => {
        assert.deepEqual(await ack(s, "checked", { name: "box" }), { id: "receipt-box" });
        const seen = nextEvent(s, "error-seen", 2000);
        const report = { event: "checked", extraction: false, message: "empty item name" };
        assert.deepEqual(await ackWithin(2000, s, "checked", { name: "" }), report);
        assert.deepEqual(await seen, [report]);
        // a wrongly typed payload is an extraction error, not a handler error
        const seen2 = nextEvent(s, "error-seen", 2000);
        const reply2 = await ackWithin(2000, s, "checked", { name: 5 });
        const [info2] = await seen2;
        assert.deepEqual(reply2, info2);
        assert.equal(info2.event, "checked");
        assert.equal(info2.extraction, true);
        assert.match(info2.message, /invalid type/);
        assert.deepEqual(await ack(s, "checked", { name: "again" }), { id: "receipt-again" });
      });

      it("later acks 'late' after the given delay (ack sender used after an await)", async () => {
        const t0 = Date.now();
        assert.equal(await ackWithin(2000, s, "later", 200), "late");
        const elapsed = Date.now() - t0;
        assert.ok(elapsed >= 190, `acked after ${elapsed} ms, before the 200 ms delay`);
        assert.ok(elapsed < 1500, `acked late: ${elapsed} ms`);
        // not acked before its time
        await noAck(100, s, "later", 400);
        assert.equal(await ackWithin(2000, s, "later", 0), "late");
      });

      it("raw sees every arg: acks [first arg, number of args]", async () => {
        assert.deepEqual(
          await ackAll(2000, s, "raw", { a: [1, 2], b: null }, "x", 3),
          [{ a: [1, 2], b: null }, 3],
        );
        assert.deepEqual(await ackAll(2000, s, "raw", "only"), ["only", 1]);
        assert.deepEqual(await ackAll(2000, s, "raw", [null, true, 1.5], 2, 3, 4, 5), [[null, true, 1.5], 5]);
      });

      it("bin acks a Buffer with the bytes reversed", async () => {
        const reply = await ack(s, "bin", Buffer.from([1, 2, 3, 4]));
        assert.ok(Buffer.isBuffer(reply), `reply is a Buffer, got ${JSON.stringify(reply)}`);
        assert.deepEqual([...reply], [4, 3, 2, 1]);
        const big = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256));
        const reply2 = await ack(s, "bin", big);
        assert.ok(Buffer.isBuffer(reply2));
        assert.deepEqual(reply2, Buffer.from(big).reverse());
      });

      it("count is per socket, visits is app-wide", async () => {
        const other = await srv.connect("/", opts);
        assert.equal(await ack(s, "count"), 1);
        assert.equal(await ack(s, "count"), 2);
        assert.equal(await ack(other, "count"), 1, "another socket counts on its own");
        assert.equal(await ack(s, "count"), 3);
        assert.equal(await ack(other, "count"), 2);

        const v = await ack(s, "visits");
        assert.equal(typeof v, "number");
        assert.equal(await ack(other, "visits"), v + 1, "visits is shared by all sockets");
        assert.equal(await ack(s, "visits"), v + 2);
        other.disconnect();
        const third = await srv.connect("/", opts);
        assert.equal(await ack(third, "count"), 1, "a new socket starts again at 1");
        assert.equal(await ack(third, "visits"), v + 3, "visits survives sockets leaving");
        third.disconnect();
      });

      it("visits under concurrent increments from several sockets: no lost update", async () => {
        const others = await Promise.all([srv.connect("/", opts), srv.connect("/", opts)]);
        const base = await ack(s, "visits");
        const results = await Promise.all(
          [s, ...others].flatMap((x) => Array.from({ length: 10 }, () => ack(x, "visits"))),
        );
        assert.deepEqual(
          [...results].sort((a, b) => a - b),
          Array.from({ length: 30 }, (_, i) => base + 1 + i),
        );
        for (const o of others) o.disconnect();
      });

      it("send(text) is answered by send('echo: ' + text) (a `message` event)", async () => {
        const got = nextEvent(s, "message", 2000);
        s.send("hi there");
        assert.deepEqual(await got, ["echo: hi there"]);
        const got2 = nextEvent(s, "message", 2000);
        s.send("");
        assert.deepEqual(await got2, ["echo: "]);
      });

      it("catch-all: unhandled events give `caught` [name, n]; handled events do not", async () => {
        const start = rec.events.length;
        s.emit("mystery", 1, { two: 2 }, [3]);
        s.emit("no-args-at-all");
        const caught = await rec.waitFor("caught", rec.of("caught").length + 2, 2000);
        assert.deepEqual(sortArgs(caught.slice(-2)), [
          ["mystery", 3],
          ["no-args-at-all", 0],
        ]);
        // handled events (with and without ack) never reach the catch-all
        await ack(s, "whoami");
        await ack(s, "sum", 1, 2);
        s.send("x");
        await rec.waitFor("message", rec.of("message").length + 1, 2000);
        s.emit("multi", "a", "b", { name: "c" });
        await nextEvent(s, "got", 2000);
        await sleep(100);
        const caughtNow = rec.events.slice(start).filter((e) => e.name === "caught");
        assert.deepEqual(
          sortArgs(caughtNow.map((e) => e.args)),
          [
            ["mystery", 3],
            ["no-args-at-all", 0],
          ],
          "only the two unhandled events were caught",
        );
      });

      it("seq: handlers of one socket start in arrival order (seq-log = 0..19)", async (t) => {
        const a = await srv.connect("/", opts);
        assert.deepEqual(await ack(a, "seq-log"), [], "a fresh socket has an empty seq-log");
        const order = [];
        const acks = await Promise.all(
          Array.from({ length: 20 }, (_, n) =>
            ackWithin(4000, a, "seq", n, (20 - n) * 5).then((r) => {
              order.push(r);
              return r;
            }),
          ),
        );
        assert.deepEqual(acks, Array.from({ length: 20 }, (_, n) => n), "each seq acks its own n");
        t.diagnostic(`ack completion order: ${JSON.stringify(order)}`);
        assert.deepEqual(
          await ack(a, "seq-log"),
          Array.from({ length: 20 }, (_, n) => n),
          "handlers started in arrival order",
        );
        assert.deepEqual(await ack(observer, "seq-log"), [], "seq-log is per socket");
        a.disconnect();
      });
    });
  }

  it("session state (count) survives the polling -> websocket upgrade", async () => {
    const s = srv.socket("/");
    const upgraded = waitEvent(s.io.engine, "upgrade", 5000, "upgrade to websocket");
    await connected(s);
    assert.equal(await ack(s, "count"), 1);
    await upgraded;
    assert.equal(s.io.engine.transport.name, "websocket");
    assert.equal(await ack(s, "count"), 2);
    s.disconnect();
  });

  describe("disconnect handler (last-disconnect)", () => {
    const serverReason = (sid) =>
      waitUntil(
        () => ack(observer, "last-disconnect", sid),
        2000,
        `server to record a disconnect reason for ${sid}`,
      );

    it("nothing recorded for a live socket or an unknown sid", async () => {
      const s = await srv.connect("/", WS);
      assert.equal(await ack(observer, "last-disconnect", s.id), null);
      assert.equal(await ack(observer, "last-disconnect", "never-existed"), null);
      s.disconnect();
    });

    for (const [label, opts] of TRANSPORTS) {
      it(`client disconnect() -> "client namespace disconnect" (${label})`, async () => {
        const s = await srv.connect("/", opts);
        const sid = s.id;
        s.disconnect();
        assert.equal(await serverReason(sid), "client namespace disconnect");
      });

      it(`engine closed by the client -> "transport close" (${label})`, async () => {
        const s = await srv.connect("/", opts);
        const sid = s.id;
        s.io.engine.close();
        assert.equal(await serverReason(sid), "transport close");
      });
    }

    it("the reason is recorded per socket id", async () => {
      const a = await srv.connect("/", WS);
      const b = await srv.connect("/", WS);
      const [aid, bid] = [a.id, b.id];
      a.disconnect();
      assert.equal(await serverReason(aid), "client namespace disconnect");
      assert.equal(await ack(observer, "last-disconnect", bid), null, "b is still connected");
      b.io.engine.close();
      assert.equal(await serverReason(bid), "transport close");
      assert.equal(await ack(observer, "last-disconnect", aid), "client namespace disconnect");
    });
  });

  it("the observer survived everything above", async () => {
    assert.ok(observer.connected);
    assert.equal(await ack(observer, "sum", 20, 22), 42);
    srv.assertAlive();
  });

  it("a handler that acknowledges and then fails is acknowledged once: the error handler does not answer again", async () => {
    // A raw client, because socket.io-client drops a second ack with the same id silently.
    const ws = srv.rawWs("/socket.io/?EIO=4&transport=websocket");
    await ws.connectSocketIO();
    ws.send(sio.eventWithAck(7, "ack-then-fail"));
    const acks = [];
    const seen = [];
    const deadline = Date.now() + 600;
    while (Date.now() < deadline) {
      const frame = await ws.next(deadline - Date.now()).catch(() => null);
      if (frame === null) break;
      if (typeof frame !== "string") continue;
      const acked = sio.parseAck(frame);
      if (acked) acks.push(acked);
      const event = sio.parseEvent(frame);
      if (event?.data[0] === "error-seen") seen.push(event.data[1]);
    }
    assert.deepEqual(acks, [{ id: 7, data: ["acked"] }], "exactly the handler's own ack");
    assert.equal(seen.length, 1, "the error handler still ran");
    assert.equal(seen[0].event, "ack-then-fail");
    ws.close();
  });
});

describe("dslapp namespaces /vip and /members (connect handlers that read the auth payload)", () => {
  let srv;
  before(async () => {
    srv = await startServer("dslapp");
  });
  after(async () => {
    await srv?.stop();
  });

  for (const [label, opts] of TRANSPORTS) {
    it(`refused without auth / with a wrong pass: "connection refused" {code: 7} (${label})`, async () => {
      for (const auth of [undefined, {}, { pass: "silver" }, { pass: "GOLD" }, { pass: "" }, { other: "gold" }]) {
        const s = srv.socket("/vip", auth === undefined ? opts : { ...opts, auth });
        const err = await connectError(s, 3000);
        assert.equal(err.message, "connection refused", `auth ${JSON.stringify(auth)}`);
        assert.deepEqual(err.data, { code: 7 }, `auth ${JSON.stringify(auth)}`);
        assert.equal(s.connected, false);
        s.io._close();
      }
    });

    it(`an auth payload that does not match its type ({pass: 7}) is refused before the handler runs (${label})`, async () => {
      // The connect handler takes a typed auth payload: one that does not deserialize never
      // reaches it, and the client learns why.
      const s = srv.socket("/vip", { ...opts, auth: { pass: 7 } });
      const err = await connectError(s, 3000);
      assert.equal(s.connected, false, "never admitted");
      assert.match(err.message, /^invalid auth payload: invalid type: integer `7`, expected a string/);
      assert.equal(err.data, undefined);
      s.io._close();
      srv.assertAlive();
    });

    it(`admitted with {pass: "gold"} (${label})`, async () => {
      const s = await srv.connect("/vip", { ...opts, auth: { pass: "gold" } });
      assert.equal(s.connected, true);
      assert.equal(typeof s.id, "string");
      await sleep(100);
      assert.equal(s.connected, true, "stays connected");
      s.disconnect();
    });
  }

  it("a /vip refusal on a shared connection leaves / working", async () => {
    const m = srv.manager(WS);
    const root = m.socket("/");
    const welcome = nextEvent(root, "welcome", 3000);
    const vip = m.socket("/vip", { auth: { pass: "bronze" } });
    const err = await connectError(vip, 3000);
    assert.equal(err.message, "connection refused");
    assert.deepEqual(err.data, { code: 7 });
    await connected(root);
    assert.deepEqual(await welcome, [{ user: "anonymous" }]);
    assert.equal(await ack(root, "sum", 1, 2), 3);
    // the same namespace socket retries with the right pass on the same connection
    vip.auth = { pass: "gold" };
    vip.connect();
    await connected(vip);
    assert.equal(vip.io, root.io, "same Manager");
    assert.equal(await ack(root, "whoami"), root.id);
    root.disconnect();
    vip.disconnect();
    srv.assertAlive();
  });

  // `/members`: an extractor of the app's own (User, from the auth payload).
  for (const [label, opts] of TRANSPORTS) {
    it(`the User extractor reads the auth payload in connect, event and disconnect handlers (${label})`, async () => {
      const s = srv.socket("/members", { ...opts, auth: { user: "ada" } });
      const hello = nextEvent(s, "hello", 3000);
      await connected(s);
      assert.deepEqual(await hello, ["ada"]);
      // `Event` here is the app's payload struct, not ferrio's extractor of the same name.
      assert.equal(await ack(s, "post", { title: "Lunch" }, 4), "ada posts Lunch for 4");
      s.disconnect();
      await waitUntil(() => srv.stdout.includes("member ada left: client namespace disconnect"), 3000, "the disconnect handler to name ada");
    });

    it(`a connection without a user is refused with the extractor's error (${label})`, async () => {
      const s = srv.socket("/members", opts);
      const err = await connectError(s, 3000);
      assert.equal(err.message, "not logged in");
      assert.equal(s.connected, false);
      s.io._close();
      srv.assertAlive();
    });
  }
});

