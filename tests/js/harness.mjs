// Test harness for the ferrio end-to-end suite.
//
// - startServer(name, { env, t }) spawns `$FERRIO_BIN_DIR/<name>` with PORT=0,
//   waits (<= 10 s) for the line `ferrio listening on http://127.0.0.1:<port>`
//   and kills the process after the test / suite that started it.
// - socket.io-client helpers that never reconnect and are always closed.
// - bounded waits: every wait has a timeout and a message saying what was awaited.
// - raw Engine.IO clients (WebSocket via `ws`, HTTP long-polling via fetch).
//
// Env: FERRIO_BIN_DIR (required); FERRIO_TEST_VERBOSE=1 copies the servers'
// stdout/stderr to this process's stderr.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import assert from "node:assert/strict";
import { io, Manager } from "socket.io-client";
import WebSocket from "ws";
import { sleep, withTimeout, waitUntil, recorder } from "../support/events.mjs";
import { connected, ackWithin } from "../support/client.mjs";
import { isBinary, normalizeBinary as normalizeValue } from "../support/binary.mjs";

export { sleep, withTimeout, waitUntil, recorder, connected, ackWithin, isBinary };

export { io, Manager, WebSocket };

const READY_RE = /ferrio listening on (http:\/\/[^\s/]+:(\d+))/;
const START_TIMEOUT_MS = 10_000;
const STDERR_KEEP = 64 * 1024;

// ---------------------------------------------------------------------------
// generic bounded waiting
// ---------------------------------------------------------------------------

/** Wait for one emission of `event` on an EventEmitter-like object; resolves with the args array. */
export function waitEvent(emitter, event, ms, message) {
  let handler;
  const p = new Promise((resolve) => {
    handler = (...args) => resolve(args);
    emitter.once(event, handler);
  });
  return withTimeout(
    p,
    ms,
    message ?? `event "${event}"`,
  ).finally(() => emitter.off(event, handler));
}

// ---------------------------------------------------------------------------
// server process
// ---------------------------------------------------------------------------

function binDir() {
  const dir = process.env.FERRIO_BIN_DIR;
  if (!dir) {
    throw new Error(
      "FERRIO_BIN_DIR is not set: point it at the directory holding the ferrio " +
        "server binaries (`echo`, `testapp`), e.g. FERRIO_BIN_DIR=target/debug",
    );
  }
  return path.resolve(dir);
}

/**
 * Spawn a ferrio server binary and wait until it listens.
 *
 * @param {string} name binary name inside $FERRIO_BIN_DIR (`echo`, `testapp`)
 * @param {object} [opts]
 * @param {Record<string,string|number>} [opts.env] extra env vars (PORT is always 0)
 * @param {import("node:test").TestContext} [opts.t] stop the server in t.after;
 *        without it the caller must call `server.stop()` (e.g. in an `after` hook).
 */
export async function startServer(name, { env = {}, t } = {}) {
  const dir = binDir();
  const bin = path.join(dir, name);
  if (!existsSync(bin)) {
    throw new Error(`server binary not found: ${bin} (FERRIO_BIN_DIR=${dir})`);
  }
  const childEnv = { ...process.env, RUST_BACKTRACE: "1" };
  // the server's documented defaults apply unless a test sets a value itself
  for (const k of ["PING_INTERVAL_MS", "PING_TIMEOUT_MS", "MAX_PAYLOAD", "TRANSPORTS"]) {
    delete childEnv[k];
  }
  for (const [k, v] of Object.entries(env)) childEnv[k] = String(v);
  childEnv.PORT = "0";

  // own process group, so that kill() also reaches anything the binary
  // spawned (e.g. when FERRIO_BIN_DIR holds wrapper scripts)
  const child = spawn(bin, [], {
    env: childEnv,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });

  const server = new Server(name, child, env);
  live.add(child);
  child.on("exit", () => live.delete(child));
  try {
    await server._ready();
  } catch (err) {
    await server.kill().catch(() => {});
    throw err;
  }
  if (t) t.after(() => server.stop());
  return server;
}

// Safety net: never leave a server process behind, whatever happened.
const live = new Set();
process.on("exit", () => {
  for (const child of live) killTree(child);
});

function killTree(child) {
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    try {
      child.kill("SIGKILL");
    } catch {
      /* already gone */
    }
  }
}

class Server {
  constructor(name, child, env) {
    this.name = name;
    this.child = child;
    this.env = env;
    this.url = null;
    this.port = null;
    this.stderr = "";
    this.stdout = "";
    this.exit = null; // {code, signal} once exited
    this.stopping = false;
    this.clients = new Set(); // socket.io-client sockets / managers / raw clients
    this.exited = new Promise((resolve) => {
      child.on("exit", (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
      child.on("error", (error) => {
        // spawn failure (not executable, ...): there will be no "exit"
        if (child.pid === undefined && !this.exit) {
          this.exit = { code: null, signal: null, error: error.message };
          resolve(this.exit);
        }
      });
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk) => {
      this.stderr = (this.stderr + chunk).slice(-STDERR_KEEP);
      if (process.env.FERRIO_TEST_VERBOSE) process.stderr.write(chunk);
    });
    child.stdout.setEncoding("utf8");
  }

  get wsUrl() {
    return this.url.replace(/^http/, "ws");
  }

  describe() {
    const status = this.exit
      ? this.exit.error
        ? `failed to start: ${this.exit.error}`
        : `exited (code ${this.exit.code}, signal ${this.exit.signal})`
      : "running";
    return `${this.name} [${status}] stderr:\n${this.stderr || "(empty)"}`;
  }

  _ready() {
    const child = this.child;
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (err) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(() => {
        finish(
          new Error(
            `server ${this.name} did not print "ferrio listening on http://127.0.0.1:<port>" ` +
              `within ${START_TIMEOUT_MS} ms; stdout so far: ${JSON.stringify(this.stdout)}; ` +
              this.describe(),
          ),
        );
      }, START_TIMEOUT_MS);
      child.on("error", (err) =>
        finish(new Error(`cannot spawn ${this.name}: ${err.message}`)),
      );
      child.stdout.on("data", (chunk) => {
        this.stdout = (this.stdout + chunk).slice(-STDERR_KEEP);
        if (!this.url) {
          const m = READY_RE.exec(this.stdout);
          if (m) {
            this.url = m[1];
            this.port = Number(m[2]);
            finish();
          }
        }
        if (process.env.FERRIO_TEST_VERBOSE) process.stderr.write(chunk);
      });
      this.exited.then(() => {
        // give stderr a moment to drain so the message is useful
        setTimeout(
          () =>
            finish(
              new Error(`server ${this.name} exited before listening; ${this.describe()}`),
            ),
          50,
        );
      });
    });
  }

  /** Kill the server process (SIGKILL) without closing clients; resolves on exit. */
  async kill() {
    this.stopping = true;
    if (this.child.pid !== undefined) killTree(this.child);
    await withTimeout(this.exited, 5000, `server ${this.name} to exit after SIGKILL`);
    this.child.stdout.destroy();
    this.child.stderr.destroy();
  }

  /** Close every tracked client, then kill the server; fail if it had crashed. */
  async stop() {
    for (const c of this.clients) {
      try {
        if (typeof c.disconnect === "function") c.disconnect();
        else if (typeof c._close === "function") c._close();
        else if (typeof c.close === "function") c.close();
      } catch {
        /* ignore */
      }
    }
    this.clients.clear();
    const crashed = this.exit && !this.stopping;
    await this.kill();
    if (crashed) {
      throw new Error(`server ${this.name} died during the tests; ${this.describe()}`);
    }
  }

  /** Assert the process is still alive (it must not crash on bad input). */
  assertAlive() {
    assert.equal(
      this.exit,
      null,
      `server ${this.name} is expected to be running; ${this.describe()}`,
    );
  }

  // ---- socket.io-client helpers ------------------------------------------

  /**
   * Create a socket.io-client socket for namespace `nsp` (not yet awaited).
   * Never reconnects, never shares a Manager with another call.
   */
  socket(nsp = "/", opts = {}) {
    const s = io(this.url + nsp, {
      forceNew: true,
      reconnection: false,
      timeout: 5000,
      ...opts,
    });
    this.clients.add(s);
    // the Manager too, so its engine is closed even if the socket never connected
    this.clients.add({ close: () => s.io._close() });
    return s;
  }

  /** A Manager (multiplexing several namespaces over one Engine.IO connection). */
  manager(opts = {}) {
    const m = new Manager(this.url, {
      reconnection: false,
      timeout: 5000,
      ...opts,
    });
    this.clients.add({ close: () => m._close() });
    return m;
  }

  /** Create a socket and wait until it is connected (rejects on connect_error). */
  async connect(nsp = "/", opts = {}) {
    const s = this.socket(nsp, opts);
    await connected(s);
    return s;
  }

  /** Raw WebSocket client to `path` (e.g. "/socket.io/?EIO=4&transport=websocket"). */
  rawWs(pathAndQuery, opts) {
    const ws = new RawWs(this.wsUrl + pathAndQuery, opts);
    this.clients.add(ws);
    return ws;
  }

  /** Raw HTTP long-polling Engine.IO client on `enginePath` ("/socket.io/" or "/engine.io/"). */
  rawPolling(enginePath = "/socket.io/") {
    return new RawPolling(this.url, enginePath);
  }
}

// ---------------------------------------------------------------------------
// socket.io-client helpers
// ---------------------------------------------------------------------------


/** Wait for a connect_error on `socket` (fails if it connects instead); resolves with the Error. */
export function connectError(socket, ms = 5000) {
  let onConnect, onError;
  const p = new Promise((resolve, reject) => {
    onConnect = () =>
      reject(new Error(`socket ${socket.nsp} connected but a connect_error was expected`));
    onError = (err) => resolve(err);
    socket.once("connect", onConnect);
    socket.once("connect_error", onError);
  });
  return withTimeout(p, ms, `connect_error on ${socket.nsp}`).finally(() => {
    socket.off("connect", onConnect);
    socket.off("connect_error", onError);
  });
}

/** Emit with an acknowledgement; rejects with a clear message if no ack within `ms`. */
export async function ack(socket, event, ...args) {
  return ackWithin(2000, socket, event, ...args);
}


/** Wait for the next `event` on a socket.io-client socket; resolves with its args array. */
export function nextEvent(socket, event, ms = 2000) {
  return waitEvent(socket, event, ms, `event "${event}" on socket ${socket.id ?? "?"} (${socket.nsp})`);
}

// ---------------------------------------------------------------------------
// binary helpers
// ---------------------------------------------------------------------------

/** Binary values as {$bin: hex, isBuffer}: compares contents, and that Buffers came back as Buffers. */
export const normalizeBinary = (value) => normalizeValue(value, { markBuffers: true });

// ---------------------------------------------------------------------------
// raw Engine.IO clients
// ---------------------------------------------------------------------------

/**
 * Raw WebSocket client. Text frames are delivered as strings, binary frames as
 * Buffers. Optionally answers Engine.IO pings ("2") with pongs ("3").
 */
export class RawWs {
  constructor(url, { autoPong = false, keepPings = false } = {}) {
    this.url = url;
    this.autoPong = autoPong;
    this.keepPings = keepPings; // when autoPong, still deliver the "2" frames
    this.queue = [];
    this.waiters = [];
    this.closeInfo = null;
    this.error = null;
    this.pings = 0;
    this.openedAt = null;
    this.ws = new WebSocket(url);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once("open", () => {
        this.openedAt = Date.now();
        resolve();
      });
      this.ws.once("error", (err) => reject(err));
      this.ws.once("close", () => reject(new Error(`websocket ${url} closed before opening`)));
    });
    this.opened.catch(() => {});
    this.closed = new Promise((resolve) => {
      this.ws.on("close", (code, reason) => {
        this.closeInfo = { code, reason: reason.toString(), at: Date.now() };
        resolve(this.closeInfo);
        this._notify();
      });
    });
    this.ws.on("error", (err) => {
      this.error = err;
    });
    this.ws.on("message", (data, isBinary) => {
      const msg = isBinary ? Buffer.from(data) : data.toString("utf8");
      if (msg === "2") {
        this.pings++;
        if (this.autoPong) {
          this.send("3");
          if (!this.keepPings) return;
        }
      }
      this.queue.push({ msg, at: Date.now() });
      this._notify();
    });
  }

  _notify() {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  /** Next frame (string or Buffer) with its arrival time: {msg, at}. */
  nextWithTime(ms = 2000, what = "a frame") {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`timed out after ${ms} ms waiting for ${what} on ${this.url}`),
          ),
        ms,
      );
      const check = () => {
        if (this.queue.length) {
          clearTimeout(timer);
          resolve(this.queue.shift());
        } else if (this.closeInfo) {
          clearTimeout(timer);
          reject(
            new Error(
              `websocket closed (code ${this.closeInfo.code}) while waiting for ${what} on ${this.url}`,
            ),
          );
        } else {
          this.waiters.push(check);
        }
      };
      check();
    });
  }

  async next(ms = 2000, what) {
    return (await this.nextWithTime(ms, what)).msg;
  }

  /** Skip frames until `pred(frame)` holds; returns that frame. */
  async nextMatching(pred, ms = 2000, what = "a matching frame") {
    const deadline = Date.now() + ms;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${ms} ms waiting for ${what} on ${this.url}`);
      const m = await this.next(left, what);
      if (pred(m)) return m;
    }
  }

  /** Open, then read the Engine.IO open packet; returns the parsed handshake. */
  async handshake(ms = 3000) {
    await withTimeout(this.opened, ms, `websocket ${this.url} to open`);
    const { msg, at } = await this.nextWithTime(ms, "the Engine.IO open packet");
    assert.equal(typeof msg, "string", "open packet must be a text frame");
    assert.equal(msg[0], "0", `expected an open packet ("0{...}"), got ${JSON.stringify(msg)}`);
    this.handshakeAt = at;
    return JSON.parse(msg.slice(1));
  }

  /**
   * Engine.IO handshake + Socket.IO CONNECT to namespace `/` (or `nsp`).
   * Returns the Socket.IO sid from the CONNECT reply.
   */
  async connectSocketIO(nsp = "/", ms = 3000) {
    this.engine = await this.handshake(ms);
    this.send(nsp === "/" ? "40" : `40${nsp},`);
    const reply = await this.nextMatching(
      (m) => typeof m === "string" && m.startsWith("4"),
      ms,
      "the Socket.IO CONNECT reply",
    );
    const prefix = nsp === "/" ? "40" : `40${nsp},`;
    assert.ok(
      reply.startsWith(prefix + "{"),
      `expected a CONNECT reply "${prefix}{...}", got ${JSON.stringify(reply)}`,
    );
    const data = JSON.parse(reply.slice(prefix.length));
    assert.equal(typeof data.sid, "string");
    this.sid = data.sid;
    return data.sid;
  }

  send(data) {
    this.ws.send(data);
  }

  /** Resolve with {code, reason, at} when closed; reject after `ms`. */
  waitClose(ms = 2000, what = "the server to close the websocket") {
    return withTimeout(this.closed, ms, `${what} (${this.url})`);
  }

  close() {
    try {
      this.ws.close();
    } catch {
      /* ignore */
    }
  }

  _close() {
    try {
      this.ws.terminate();
    } catch {
      /* ignore */
    }
  }
}

/**
 * Assert that a raw websocket is not accepted as an Engine.IO session: either
 * the upgrade is refused, or the server closes it without sending any frame.
 */
export async function expectWsRefused(ws, ms = 2000, what = "websocket") {
  const opened = await withTimeout(
    ws.opened.then(
      () => true,
      () => false,
    ),
    ms,
    `${what}: the upgrade to be refused (or answered)`,
  );
  if (opened) {
    await ws.waitClose(ms, `${what}: the server to close a websocket it must not accept`);
    assert.deepEqual(
      ws.queue.map((f) => f.msg),
      [],
      `${what}: no frame may be sent on a refused websocket`,
    );
  }
  ws._close();
}

/** Raw HTTP long-polling Engine.IO v4 client. */
export class RawPolling {
  constructor(baseUrl, enginePath = "/socket.io/") {
    this.base = baseUrl + enginePath;
    this.sid = null;
  }

  url(extra = "") {
    const sid = this.sid ? `&sid=${encodeURIComponent(this.sid)}` : "";
    return `${this.base}?EIO=4&transport=polling${sid}${extra}`;
  }

  /** GET handshake; returns the parsed open packet. */
  async handshake(ms = 3000) {
    const res = await fetchT(this.url(), {}, ms);
    const text = await res.text();
    assert.equal(res.status, 200, `polling handshake status (body ${text})`);
    assert.equal(text[0], "0", `expected an open packet, got ${JSON.stringify(text)}`);
    const data = JSON.parse(text.slice(1));
    this.sid = data.sid;
    this.handshakeAt = Date.now();
    return data;
  }

  /** GET poll: {status, text, packets, at}. */
  async get(ms = 3000, { extra = "", signal } = {}) {
    const res = await withTimeout(
      fetch(this.url(extra), { signal: signal ?? AbortSignal.timeout(ms + 500) }),
      ms,
      `polling GET (sid ${this.sid}) to complete`,
    );
    const text = await withTimeout(res.text(), ms, "polling GET body");
    return {
      status: res.status,
      text,
      packets: res.status === 200 ? text.split("\x1e") : [],
      headers: res.headers,
      at: Date.now(),
    };
  }

  /** POST a payload (string; packets joined by \x1e): {status, text}. */
  async post(body, ms = 3000) {
    const res = await fetchT(
      this.url(),
      {
        method: "POST",
        body,
        headers: { "content-type": "text/plain;charset=UTF-8" },
      },
      ms,
    );
    const text = await withTimeout(res.text(), ms, "polling POST body");
    return { status: res.status, text, headers: res.headers };
  }

  /** Handshake + Socket.IO CONNECT on `/`; returns the Socket.IO sid. */
  async connectSocketIO(ms = 3000) {
    this.engine = await this.handshake(ms);
    const r = await this.post("40", ms);
    assert.equal(r.status, 200, `POST 40 status (body ${r.text})`);
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const g = await this.get(deadline - Date.now());
      assert.equal(g.status, 200, `GET after CONNECT: ${g.status} ${g.text}`);
      for (const p of g.packets) {
        if (p.startsWith("40{")) {
          this.sidSio = JSON.parse(p.slice(2)).sid;
          return this.sidSio;
        }
        if (p === "2") await this.post("3", ms);
      }
    }
    throw new Error("no Socket.IO CONNECT reply over polling");
  }

  /**
   * Wait until the session is gone: GET answers 400 (the server may first
   * answer pending polls with a close packet "1" or a noop "6").
   */
  async waitGone(ms = 2000, what = "the session to be closed") {
    const deadline = Date.now() + ms;
    let last;
    while (Date.now() < deadline) {
      try {
        last = await this.get(Math.max(50, deadline - Date.now()));
      } catch (err) {
        // a GET that hangs until the deadline means the session is still open
        throw new Error(`${what}: ${err.message}`);
      }
      if (last.status === 400) return last;
      if (last.packets.includes("1") || last.packets.includes("6")) continue;
      // session still alive and delivering packets (e.g. pings): keep polling
    }
    throw new Error(
      `timed out after ${ms} ms: ${what}; last GET: ${last?.status} ${JSON.stringify(last?.text)}`,
    );
  }
}

/** fetch() bounded in time: rejects with a clear message after `ms`. */
export async function fetchT(url, init = {}, ms = 3000) {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(ms) });
  } catch (err) {
    if (err?.name === "TimeoutError" || err?.name === "AbortError") {
      throw new Error(`timed out after ${ms} ms: ${init.method ?? "GET"} ${url}`);
    }
    throw err;
  }
}

/** Parse an Engine.IO/HTTP error body; asserts status 400 and a JSON {code, message} body. */
export async function expectEngineError(res, code, message, what) {
  const text = await res.text();
  assert.equal(res.status, 400, `${what}: expected HTTP 400, got ${res.status} (${text})`);
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    assert.fail(`${what}: error body is not JSON: ${JSON.stringify(text)}`);
  }
  assert.deepEqual(body, { code, message }, `${what}: error body`);
  const ct = res.headers.get("content-type") ?? "";
  assert.match(ct, /application\/json/, `${what}: content-type of the error body`);
  return body;
}

/** Socket.IO packet helpers for raw clients. */
export const sio = {
  event: (name, ...args) => `42${JSON.stringify([name, ...args])}`,
  eventWithAck: (id, name, ...args) => `42${id}${JSON.stringify([name, ...args])}`,
  parseEvent(msg) {
    const m = /^42(\d*)(\[.*)$/s.exec(msg);
    if (!m) return null;
    return { id: m[1] === "" ? null : Number(m[1]), data: JSON.parse(m[2]) };
  },
  parseAck(msg) {
    const m = /^43(\d+)(\[.*)$/s.exec(msg);
    if (!m) return null;
    return { id: Number(m[1]), data: JSON.parse(m[2]) };
  },
};
