// Helpers for the tests of the LEGACY socket.io JavaScript client 2.x
// (Engine.IO protocol v3, Socket.IO protocol v4) against ferrio servers.
//
// - v2Socket / v2Connect / v2Manager: 2.x client sockets that never reconnect
//   and are closed when the server started by harness.mjs stops.
// - v2Connected / v2Refused: bounded waits for a namespace connection or its
//   refusal (the 2.x client gets an ERROR packet and emits `error`).
// - v2Ack / v2AckAll: emit with an acknowledgement callback, bounded in time
//   (the 2.x client has no timeout()/emitWithAck).
// - v2Recorder: records every event a 2.x socket receives (it has no onAny).
// - v2StopPinging: makes a 2.x client stop its Engine.IO v3 heartbeat (the
//   client pings in v3) without it timing the connection out on its own.
// - RawPollingV3: a raw Engine.IO v3 long-polling client speaking the
//   length-prefixed payload format `<len>:<packet><len>:<packet>...`.
//
// The 2.x client is the npm alias `socket.io-client-v2` (socket.io-client@2.2.0).

import assert from "node:assert/strict";
import ioV2 from "socket.io-client-v2";
import { withTimeout, waitEvent, fetchT } from "./harness.mjs";
import { eventLog } from "../support/events.mjs";
import { normalizeBinary } from "../support/binary.mjs";

export { ioV2 };

const BASE_OPTS = { forceNew: true, reconnection: false, timeout: 5000 };

/** Track a 2.x socket (and its Manager) so that `srv.stop()` closes them. */
function track(srv, s) {
  srv.clients.add({ disconnect: () => s.disconnect() });
  srv.clients.add({ close: () => s.io.close() });
  return s;
}

/** A 2.x client socket for namespace `nsp` of `srv` (not yet awaited). */
export function v2Socket(srv, nsp = "/", opts = {}) {
  return track(srv, ioV2(srv.url + nsp, { ...BASE_OPTS, ...opts }));
}

/** A 2.x socket, awaited until connected. */
export async function v2Connect(srv, nsp = "/", opts = {}) {
  const s = v2Socket(srv, nsp, opts);
  await v2Connected(s);
  return s;
}

/** A 2.x Manager (several namespaces over one Engine.IO v3 connection). */
export function v2Manager(srv, opts = {}) {
  const m = new ioV2.Manager(srv.url, { reconnection: false, timeout: 5000, ...opts });
  srv.clients.add({ close: () => m.close() });
  return m;
}

/**
 * Wait until a 2.x socket is connected. Rejects on `error` (namespace
 * refused), `connect_error` or `connect_timeout`.
 */
export function v2Connected(socket, ms = 5000) {
  if (socket.connected) return Promise.resolve(socket);
  const handlers = {};
  const p = new Promise((resolve, reject) => {
    handlers.connect = () => resolve(socket);
    handlers.error = (data) =>
      reject(new Error(`2.x socket ${socket.nsp} got "error" instead of connecting: ${JSON.stringify(data)}`));
    handlers.connect_error = (err) =>
      reject(new Error(`2.x socket ${socket.nsp} connect_error: ${err?.message ?? JSON.stringify(err)}`));
    handlers.connect_timeout = () => reject(new Error(`2.x socket ${socket.nsp} connect_timeout`));
    for (const [ev, fn] of Object.entries(handlers)) socket.once(ev, fn);
  });
  return withTimeout(p, ms, `2.x socket ${socket.nsp} to connect`).finally(() => {
    for (const [ev, fn] of Object.entries(handlers)) socket.off(ev, fn);
  });
}

/**
 * Wait for the refusal of a 2.x namespace connection: resolves with the data of
 * the `error` event; rejects if the socket connects instead.
 */
export function v2Refused(socket, ms = 5000) {
  const handlers = {};
  const p = new Promise((resolve, reject) => {
    handlers.connect = () =>
      reject(new Error(`2.x socket ${socket.nsp} connected but a refusal ("error") was expected`));
    handlers.error = (data) => resolve(data);
    handlers.connect_error = (err) =>
      reject(new Error(`2.x socket ${socket.nsp}: engine connect_error instead of a namespace refusal: ${err?.message ?? err}`));
    for (const [ev, fn] of Object.entries(handlers)) socket.once(ev, fn);
  });
  return withTimeout(p, ms, `"error" (namespace refusal) on 2.x socket ${socket.nsp}`).finally(() => {
    for (const [ev, fn] of Object.entries(handlers)) socket.off(ev, fn);
  });
}

/** Emit with an ack callback; resolves with the ack's args array. */
export function v2AckAll(socket, event, ...args) {
  return v2AckAllWithin(2000, socket, event, ...args);
}

export function v2AckAllWithin(ms, socket, event, ...args) {
  const p = new Promise((resolve) => socket.emit(event, ...args, (...reply) => resolve(reply)));
  return withTimeout(p, ms, `ack for "${event}" (2.x socket ${socket.id ?? "?"} on ${socket.nsp})`);
}

/** Emit with an ack callback; resolves with the ack's first arg. */
export async function v2Ack(socket, event, ...args) {
  return (await v2AckAll(socket, event, ...args))[0];
}

export async function v2AckWithin(ms, socket, event, ...args) {
  return (await v2AckAllWithin(ms, socket, event, ...args))[0];
}

/** Next `event` on a 2.x socket (or Manager / engine); resolves with its args array. */
export function v2Next(emitter, event, ms = 2000) {
  return waitEvent(emitter, event, ms, `event "${event}" on 2.x ${emitter.nsp ?? "emitter"} (${emitter.id ?? "?"})`);
}

/**
 * Record every server event a 2.x socket receives, like harness.mjs'
 * recorder() (the 2.x client has no onAny): {events, of(name), waitFor(name, count, ms)}.
 * The recorded args never include the ack callback.
 */
export function v2Recorder(socket) {
  const log = eventLog(() => `2.x socket ${socket.id}`);
  const orig = socket.onevent;
  socket.onevent = function (packet) {
    const [name, ...args] = packet.data || [];
    log.record({ name, args, ackId: packet.id ?? null });
    return orig.call(this, packet);
  };
  return log;
}

/**
 * Stop the Engine.IO v3 heartbeat of a connected 2.x socket: it sends no more
 * pings, and it does not time the connection out by itself either (so only the
 * server can end it). Works on engine.io-client 3.x internals: the ping timer
 * (setPing / pingIntervalTimer), the client-side timeout (onHeartbeat /
 * pingTimeoutTimer, also registered as the `heartbeat` listener).
 * Returns {at, suppressed()}: when it was stopped, and how many pings were suppressed since.
 */
export function v2StopPinging(socket) {
  const engine = socket.io.engine;
  for (const k of ["setPing", "ping", "onHeartbeat"]) {
    assert.equal(typeof engine[k], "function", `engine.io-client 3.x internals changed: no engine.${k}`);
  }
  assert.ok("pingIntervalTimer" in engine && "pingTimeoutTimer" in engine, "engine.io-client 3.x internals changed: timers");
  const protoHeartbeat = engine.onHeartbeat;
  engine.removeListener("heartbeat", protoHeartbeat);
  let suppressed = 0;
  engine.setPing = () => {};
  engine.ping = () => {
    suppressed++;
  };
  engine.onHeartbeat = () => {};
  clearTimeout(engine.pingIntervalTimer);
  clearTimeout(engine.pingTimeoutTimer);
  // make sure nothing else would send a ping packet
  const origSendPacket = engine.sendPacket.bind(engine);
  engine.sendPacket = (type, ...rest) => {
    if (type === "ping") {
      suppressed++;
      return;
    }
    return origSendPacket(type, ...rest);
  };
  return { at: Date.now(), suppressed: () => suppressed };
}

// ---------------------------------------------------------------------------
// binary helpers
// ---------------------------------------------------------------------------

/** Binary values as {$bin: hex}, whatever their type; tests check separately that the 2.x client decoded binary as Buffers. */
export const normalizeBin = (value) => normalizeBinary(value);

// ---------------------------------------------------------------------------
// raw Engine.IO v3 long-polling client
// ---------------------------------------------------------------------------

/** Encode packets as an Engine.IO v3 text payload: `<len>:<packet>...`. */
export function encodePayloadV3(packets) {
  return packets.map((p) => `${p.length}:${p}`).join("");
}

/** Decode an Engine.IO v3 text payload; throws on a malformed one. */
export function decodePayloadV3(text) {
  const out = [];
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(":", i);
    assert.ok(colon > i, `malformed v3 payload (no length prefix at ${i}): ${JSON.stringify(text)}`);
    const lenStr = text.slice(i, colon);
    assert.match(lenStr, /^\d+$/, `malformed v3 payload (length ${JSON.stringify(lenStr)}): ${JSON.stringify(text)}`);
    const len = Number(lenStr);
    const packet = text.slice(colon + 1, colon + 1 + len);
    assert.equal(packet.length, len, `truncated v3 payload: ${JSON.stringify(text)}`);
    out.push(packet);
    i = colon + 1 + len;
  }
  return out;
}

/** Raw HTTP long-polling Engine.IO v3 client (text payloads only). */
export class RawPollingV3 {
  constructor(baseUrl, { enginePath = "/socket.io/", b64 = false, query = "" } = {}) {
    this.base = baseUrl + enginePath;
    this.b64 = b64;
    this.query = query;
    this.sid = null;
    this.received = []; // every packet received, in order
  }

  url() {
    const sid = this.sid ? `&sid=${encodeURIComponent(this.sid)}` : "";
    const b64 = this.b64 ? "&b64=1" : "";
    return `${this.base}?EIO=3&transport=polling${b64}${this.query}${sid}`;
  }

  /** GET handshake; returns {open, rest, text}: the parsed open packet and any packets after it. */
  async handshake(ms = 3000) {
    const res = await fetchT(this.url(), {}, ms);
    const text = await res.text();
    assert.equal(res.status, 200, `v3 polling handshake status (body ${text})`);
    assert.match(text, /^\d+:0\{/, `expected a v3 payload "<len>:0{...", got ${JSON.stringify(text)}`);
    const packets = decodePayloadV3(text);
    const open = JSON.parse(packets[0].slice(1));
    this.sid = open.sid;
    this.received.push(...packets.slice(1));
    return { open, rest: packets.slice(1), text, headers: res.headers };
  }

  /** GET poll: {status, text, packets, contentType}. */
  async get(ms = 3000) {
    const res = await fetchT(this.url(), {}, ms + 500);
    const text = await withTimeout(res.text(), ms, `v3 polling GET body (sid ${this.sid})`);
    const contentType = res.headers.get("content-type") ?? "";
    let packets = [];
    if (res.status === 200) {
      packets = decodePayloadV3(text);
      this.received.push(...packets);
    }
    return { status: res.status, text, packets, contentType };
  }

  /** POST a raw body (string): {status, text}. */
  async postRaw(body, ms = 3000) {
    const res = await fetchT(
      this.url(),
      { method: "POST", body, headers: { "content-type": "text/plain;charset=UTF-8" } },
      ms,
    );
    return { status: res.status, text: await res.text() };
  }

  /** POST packets, encoded as a v3 payload. */
  post(packets, ms = 3000) {
    return this.postRaw(encodePayloadV3(Array.isArray(packets) ? packets : [packets]), ms);
  }

  /** Poll until a packet satisfying `pred` arrives (answers nothing); returns it. */
  async until(pred, ms = 3000, what = "a matching packet") {
    const deadline = Date.now() + ms;
    for (;;) {
      const idx = this.received.findIndex(pred);
      if (idx >= 0) return this.received.splice(0, idx + 1).pop();
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${ms} ms waiting for ${what} (sid ${this.sid}); got ${JSON.stringify(this.received)}`);
      const g = await this.get(left);
      assert.equal(g.status, 200, `GET while waiting for ${what}: ${g.status} ${g.text}`);
    }
  }
}
