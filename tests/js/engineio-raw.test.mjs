// Engine.IO v4 wire protocol, spoken by hand (fetch + raw `ws`) against the
// `echo` server. Proves: the handshake fields and that the env vars set them,
// the exact HTTP 400 JSON error for every refused request, that a second
// concurrent GET poll kills the session, polling payload framing (\x1e, "b"
// base64 for binary), the bare /engine.io/ echo over both transports, client
// close packets, a hand-made polling->websocket upgrade, and CORS headers.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  startServer,
  expectEngineError,
  expectWsRefused,
  fetchT,
  sleep,
  withTimeout,
} from "./harness.mjs";

const HANDSHAKE_KEYS = ["maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"];

describe("engine.io raw protocol (echo)", () => {
  /** default settings: pingInterval 300, pingTimeout 200, maxPayload 1e6 */
  let def;
  /** long heartbeat so that slow hand-driven exchanges are not cut by pings */
  let slow;

  before(async () => {
    [def, slow] = await Promise.all([
      startServer("echo"),
      startServer("echo", {
        env: { PING_INTERVAL_MS: 5000, PING_TIMEOUT_MS: 4000, MAX_PAYLOAD: 123456 },
      }),
    ]);
  });
  after(async () => {
    await Promise.all([def?.stop(), slow?.stop()]);
  });

  describe("handshake", () => {
    for (const enginePath of ["/socket.io/", "/engine.io/"]) {
      it(`polling handshake on ${enginePath} has exactly the v4 fields with the defaults`, async () => {
        const res = await fetchT(`${def.url}${enginePath}?EIO=4&transport=polling`);
        assert.equal(res.status, 200);
        const text = await res.text();
        assert.equal(text[0], "0", `open packet expected, got ${JSON.stringify(text)}`);
        const hs = JSON.parse(text.slice(1));
        assert.deepEqual(Object.keys(hs).sort(), HANDSHAKE_KEYS);
        assert.equal(typeof hs.sid, "string");
        assert.ok(hs.sid.length > 0, "sid must not be empty");
        assert.deepEqual(hs.upgrades, ["websocket"]);
        assert.equal(hs.pingInterval, 300);
        assert.equal(hs.pingTimeout, 200);
        assert.equal(hs.maxPayload, 1000000);
      });
    }

    it("each handshake gets a fresh sid", async () => {
      const sids = new Set();
      for (let i = 0; i < 5; i++) {
        const hs = await def.rawPolling("/engine.io/").handshake();
        sids.add(hs.sid);
      }
      assert.equal(sids.size, 5, "sids must be unique");
    });

    it("websocket handshake: open packet first, no upgrades offered", async () => {
      const ws = def.rawWs("/engine.io/?EIO=4&transport=websocket");
      const hs = await ws.handshake();
      assert.deepEqual(Object.keys(hs).sort(), HANDSHAKE_KEYS);
      assert.deepEqual(hs.upgrades, []);
      assert.equal(hs.pingInterval, 300);
      assert.equal(hs.pingTimeout, 200);
      assert.equal(hs.maxPayload, 1000000);
      ws.close();
    });

    it("PING_INTERVAL_MS / PING_TIMEOUT_MS / MAX_PAYLOAD are honoured", async () => {
      const hs = await slow.rawPolling("/socket.io/").handshake();
      assert.equal(hs.pingInterval, 5000);
      assert.equal(hs.pingTimeout, 4000);
      assert.equal(hs.maxPayload, 123456);
    });
  });

  describe("errors: HTTP 400 with a JSON {code, message} body", () => {
    const u = (q) => `${slow.url}/socket.io/?${q}`;

    it("unknown transport -> code 0", async () => {
      await expectEngineError(
        await fetchT(u("EIO=4&transport=carrier-pigeon")),
        0,
        "Transport unknown",
        "transport=carrier-pigeon",
      );
    });

    it("missing transport -> code 0", async () => {
      await expectEngineError(await fetchT(u("EIO=4")), 0, "Transport unknown", "no transport");
    });

    it("unknown sid -> code 1 (GET and POST, both engine paths)", async () => {
      await expectEngineError(
        await fetchT(u("EIO=4&transport=polling&sid=no-such-session")),
        1,
        "Session ID unknown",
        "GET unknown sid",
      );
      await expectEngineError(
        await fetchT(u("EIO=4&transport=polling&sid=no-such-session"), {
          method: "POST",
          body: "4hello",
        }),
        1,
        "Session ID unknown",
        "POST unknown sid",
      );
      await expectEngineError(
        await fetchT(`${slow.url}/engine.io/?EIO=4&transport=polling&sid=nope`),
        1,
        "Session ID unknown",
        "GET unknown sid on /engine.io/",
      );
    });

    it("a sid from one engine path is unknown on the other", async () => {
      const hs = await slow.rawPolling("/socket.io/").handshake();
      await expectEngineError(
        await fetchT(`${slow.url}/engine.io/?EIO=4&transport=polling&sid=${hs.sid}`),
        1,
        "Session ID unknown",
        "socket.io sid used on /engine.io/",
      );
    });

    it("handshake with POST -> code 2", async () => {
      await expectEngineError(
        await fetchT(u("EIO=4&transport=polling"), { method: "POST", body: "40" }),
        2,
        "Bad handshake method",
        "POST handshake",
      );
    });

    it("handshake with PUT -> code 2", async () => {
      await expectEngineError(
        await fetchT(u("EIO=4&transport=polling"), { method: "PUT", body: "x" }),
        2,
        "Bad handshake method",
        "PUT handshake",
      );
    });

    it("polling request on a websocket session -> code 3", async () => {
      const ws = slow.rawWs("/socket.io/?EIO=4&transport=websocket");
      const hs = await ws.handshake();
      await expectEngineError(
        await fetchT(u(`EIO=4&transport=polling&sid=${hs.sid}`)),
        3,
        "Bad request",
        "GET polling on a websocket sid",
      );
      ws.close();
    });

    it("missing, old or garbage EIO -> code 5", async () => {
      // EIO=3 (the 2.x client) is served by default: see v2-*.test.mjs.
      for (const q of ["transport=polling", "EIO=2&transport=polling", "EIO=abc&transport=polling", "EIO=5&transport=polling"]) {
        await expectEngineError(await fetchT(u(q)), 5, "Unsupported protocol version", q);
      }
    });

    it("websocket upgrade with a bad EIO or sid is refused", async () => {
      for (const q of ["EIO=2&transport=websocket", "transport=websocket", "EIO=4&transport=websocket&sid=nope"]) {
        await expectWsRefused(slow.rawWs(`/socket.io/?${q}`), 2000, `websocket with ${q}`);
      }
    });
  });

  describe("polling sessions", () => {
    it("a second concurrent GET is refused with 400 and ends the session", async () => {
      const p = slow.rawPolling("/engine.io/");
      await p.handshake();
      const first = p.get(3000);
      await sleep(50);
      const second = await p.get(3000, { extra: "&t=second" });
      assert.equal(second.status, 400, `second GET: ${second.status} ${second.text}`);
      const firstRes = await first; // must be released, not left hanging
      assert.equal(firstRes.status, 200);
      assert.equal(firstRes.text, "1", "the first poll is answered with a close packet");
      await expectEngineError(
        await fetchT(p.url()),
        1,
        "Session ID unknown",
        "GET after the overlapping poll",
      );
    });

    it("POST answers 'ok'; text packets are echoed joined by \\x1e", async () => {
      const p = slow.rawPolling("/engine.io/");
      await p.handshake();
      const r1 = await p.post("4hello");
      assert.equal(r1.status, 200);
      assert.equal(r1.text, "ok");
      const g1 = await p.get();
      assert.equal(g1.status, 200);
      assert.equal(g1.text, "4hello");

      const r2 = await p.post("4one\x1e4two\x1e4three");
      assert.equal(r2.text, "ok");
      const g2 = await p.get();
      assert.equal(g2.text, "4one\x1e4two\x1e4three");
    });

    it("UTF-8 text survives polling unchanged", async () => {
      const p = slow.rawPolling("/engine.io/");
      await p.handshake();
      const msg = "4héllo wörld ✓ 🚀 \u4e2d\u6587";
      assert.equal((await p.post(msg)).text, "ok");
      const g = await p.get();
      assert.equal(g.text, msg);
    });

    it("binary over polling is 'b' + base64, echoed as such", async () => {
      const p = slow.rawPolling("/engine.io/");
      await p.handshake();
      const bytes = Buffer.from([0, 1, 2, 3, 250, 255]);
      const payload = `4text\x1eb${bytes.toString("base64")}`;
      assert.equal((await p.post(payload)).text, "ok");
      const g = await p.get();
      assert.deepEqual(g.packets, ["4text", `b${bytes.toString("base64")}`]);
      assert.deepEqual(Buffer.from(g.packets[1].slice(1), "base64"), bytes);
    });

    it("a pending GET is released when data arrives", async () => {
      const p = slow.rawPolling("/engine.io/");
      await p.handshake();
      const t0 = Date.now();
      const pending = p.get(3000);
      await sleep(150);
      await p.post("4late");
      const g = await pending;
      assert.equal(g.text, "4late");
      assert.ok(g.at - t0 >= 140, "the GET must have waited for data");
    });

    it("a client close packet ends the session and releases the pending GET", async () => {
      const p = slow.rawPolling("/engine.io/");
      await p.handshake();
      const pending = p.get(3000);
      await sleep(50);
      const r = await p.post("1");
      assert.equal(r.status, 200);
      const g = await pending;
      assert.equal(g.status, 200);
      assert.ok(
        g.packets.every((x) => x === "6" || x === "1"),
        `pending GET should get a noop/close, got ${JSON.stringify(g.text)}`,
      );
      await expectEngineError(await fetchT(p.url()), 1, "Session ID unknown", "GET after close");
    });
  });

  describe("websocket sessions", () => {
    it("bare /engine.io/ echoes text and binary frames", async () => {
      const ws = slow.rawWs("/engine.io/?EIO=4&transport=websocket");
      await ws.handshake();
      ws.send("4hello");
      assert.equal(await ws.next(), "4hello");
      ws.send("4héllo ✓");
      assert.equal(await ws.next(), "4héllo ✓");
      const bin = Buffer.from([1, 2, 3, 4, 0, 255]);
      ws.send(bin);
      const back = await ws.next();
      assert.ok(Buffer.isBuffer(back), `binary frame expected, got ${JSON.stringify(back)}`);
      assert.deepEqual(back, bin);
      // order is kept over a burst
      for (let i = 0; i < 50; i++) ws.send(`4n${i}`);
      for (let i = 0; i < 50; i++) assert.equal(await ws.next(), `4n${i}`);
      ws.close();
    });

    it("a client close packet makes the server close the websocket", async () => {
      const ws = slow.rawWs("/engine.io/?EIO=4&transport=websocket");
      await ws.handshake();
      ws.send("1");
      await ws.waitClose(1500, "the server to close after a close packet");
    });
  });

  describe("upgrade by hand", () => {
    it("probe, noop on the pending poll, upgrade, then data flows over websocket only", async () => {
      const p = slow.rawPolling("/engine.io/");
      const hs = await p.handshake();
      // data before the upgrade goes over polling
      await p.post("4before");
      assert.equal((await p.get()).text, "4before");

      const pending = p.get(3000);
      await sleep(30);
      const ws = slow.rawWs(`/engine.io/?EIO=4&transport=websocket&sid=${hs.sid}`);
      await withTimeout(ws.opened, 2000, "upgrade websocket to open");
      ws.send("2probe");
      assert.equal(await ws.next(2000, "3probe"), "3probe");
      const released = await pending;
      assert.equal(released.status, 200);
      assert.deepEqual(released.packets, ["6"], "pending poll is released with a noop");
      ws.send("5");
      ws.send("4after");
      assert.equal(await ws.next(2000, "echo over websocket"), "4after");
      ws.send(Buffer.from([9, 8, 7]));
      assert.deepEqual(await ws.next(), Buffer.from([9, 8, 7]));
      // the polling transport is gone for this session
      await expectEngineError(await fetchT(p.url()), 3, "Bad request", "GET polling after upgrade");
      ws.close();
    });
  });

  describe("CORS", () => {
    it("handshake echoes the Origin and allows credentials", async () => {
      const origin = "http://example.test:1234";
      const res = await fetchT(`${slow.url}/socket.io/?EIO=4&transport=polling`, {
        headers: { Origin: origin },
      });
      assert.equal(res.status, 200);
      await res.text();
      assert.equal(res.headers.get("access-control-allow-origin"), origin);
      assert.equal(res.headers.get("access-control-allow-credentials"), "true");
    });

    it("POST echoes the Origin too", async () => {
      const p = slow.rawPolling("/socket.io/");
      await p.handshake();
      const origin = "https://other.example.test";
      const res = await fetchT(p.url(), {
        method: "POST",
        body: "40",
        headers: { Origin: origin, "content-type": "text/plain;charset=UTF-8" },
      });
      assert.equal(res.status, 200);
      await res.text();
      assert.equal(res.headers.get("access-control-allow-origin"), origin);
      assert.equal(res.headers.get("access-control-allow-credentials"), "true");
    });

    it("preflight OPTIONS is answered with 2xx and the CORS headers", async () => {
      const origin = "http://example.test";
      const res = await fetchT(`${slow.url}/socket.io/?EIO=4&transport=polling`, {
        method: "OPTIONS",
        headers: {
          Origin: origin,
          "Access-Control-Request-Method": "POST",
          "Access-Control-Request-Headers": "content-type",
        },
      });
      await res.text();
      assert.ok(res.status >= 200 && res.status < 300, `preflight status ${res.status}`);
      assert.equal(res.headers.get("access-control-allow-origin"), origin);
      assert.equal(res.headers.get("access-control-allow-credentials"), "true");
    });
  });
});
