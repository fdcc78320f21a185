// Harness for the Redis scale-out end-to-end tests: ferrio members (the Rust `testapp` with
// REDIS_URL) and Node members (`node-member.mjs`, socket.io 4.8 + @socket.io/redis-adapter 8.3,
// or @socket.io/redis-streams-adapter 0.3.1) sharing one Redis, driven by socket.io-client.
//
// - startRedis(): a private redis-server on a free loopback port (no persistence, foreground,
//   killed by PID afterwards); fails loudly when redis-server is missing.
//   startRedis({ tls: {cert, key, ca}, password }) serves TLS only (no plaintext port) and/or
//   requires AUTH: its url is then `rediss://:<password>@localhost:<port>`, the harness's own
//   clients (admin, PING probe, sniffer) connect over TLS trusting `ca`, and members get
//   REDIS_CA_FILE=<ca>. makeTlsCerts() makes a throwaway CA, a server certificate and a client
//   certificate. startRedis({ tls, requireClientCert: true }) adds `--tls-auth-clients yes`
//   (mutual TLS): the harness's clients present tls.clientCert, and ferrio members get
//   REDIS_CERT_FILE / REDIS_KEY_FILE (node-member.mjs does not read them: no Node members there).
//   redis.restart() kills it and starts an empty one on the same port; redis.xrange(stream)
//   lists a stream's entries (fields in wire order), redis.sessions() the recovery sessions
//   (`sio:session:<pid>`, decoded), redis.clientList() CLIENT LIST.
// - Bus: a PSUBSCRIBE '*' sniffer that records every Pub/Sub message (channel + bytes), so a
//   failing assertion can show what actually travelled; it does not see the Redis Streams
//   adapter's stream: evidence(cluster, mark) shows both (describeStream, decodeStreamData).
// - startFerrio() / startNodeMember(): spawn a member, wait (<= 10 s) for
//   `ferrio listening on http://127.0.0.1:<port>`, kill its process group afterwards; `env`
//   goes to the member (e.g. REDIS_ADAPTER=streams, RECOVERY_MS). startCluster(kinds,
//   {adapter: "streams", common: {RECOVERY_MS}}) sets them for every member.
// - bounded waits everywhere; every timeout message says what was awaited.
//
// Env: FERRIO_BIN_DIR (required for ferrio members: the directory holding `testapp`),
// REDIS_SERVER (path of redis-server, default: found on PATH), FERRIO_TEST_VERBOSE=1 copies
// the members' and redis-server's output to stderr.

import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseClientList } from "./client-list.mjs";
import assert from "node:assert/strict";
import { createClient } from "redis";
import { io } from "socket.io-client";
import notepack from "notepack.io";
import { sleep, withTimeout, waitUntil, recorder } from "../support/events.mjs";
import { connected, ackWithin } from "../support/client.mjs";
import { isBinary, normalizeBinary } from "../support/binary.mjs";

export { sleep, withTimeout, waitUntil, recorder, connected, ackWithin, isBinary, normalizeBinary };

export { io, createClient, notepack };

const HERE = path.dirname(fileURLToPath(import.meta.url));
const READY_RE = /ferrio listening on (http:\/\/[^\s/]+:(\d+))/;
const START_TIMEOUT_MS = 10_000;
const KEEP = 64 * 1024;
const VERBOSE = !!process.env.FERRIO_TEST_VERBOSE;

export const PREFIX = "socket.io";
export const REQUEST_CHANNEL = `${PREFIX}-request#/#`;
export const RESPONSE_CHANNEL = `${PREFIX}-response#/#`;
export const BROADCAST_PATTERN = `${PREFIX}#/#*`;
/** The streams adapter (@socket.io/redis-streams-adapter): its stream, its channel of `/`
 * (PUBSUB NUMSUB of it is the server count) and the prefix of its session keys. */
export const STREAM = PREFIX;
export const STREAMS_CHANNEL = `${PREFIX}#/#`;
export const SESSION_PREFIX = "sio:session:";

// ---------------------------------------------------------------------------
// processes
// ---------------------------------------------------------------------------

const live = new Set();
process.on("exit", () => {
  for (const child of live) killTree(child, "SIGKILL");
});
// The test runner ends a file that overruns its timeout with a signal: take the members and
// redis-server (each in its own process group) along.
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) {
  process.once(signal, () => {
    for (const child of live) killTree(child, "SIGKILL");
    process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }[signal] ?? 0));
  });
}

function killTree(child, signal = "SIGKILL") {
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------
// Redis
// ---------------------------------------------------------------------------

function redisServerPath() {
  if (process.env.REDIS_SERVER) {
    if (!existsSync(process.env.REDIS_SERVER)) {
      throw new Error(`REDIS_SERVER=${process.env.REDIS_SERVER} does not exist`);
    }
    return process.env.REDIS_SERVER;
  }
  for (const dir of (process.env.PATH ?? "").split(":").concat(["/usr/bin", "/usr/local/bin"])) {
    const p = path.join(dir || ".", "redis-server");
    if (existsSync(p)) return p;
  }
  throw new Error(
    "redis-server is not installed: the Redis scale-out tests need it " +
      "(Debian: `apt-get install redis-server`; or set REDIS_SERVER=/path/to/redis-server)",
  );
}

/**
 * A quiet node-redis client that never reconnects (errors are kept, not thrown as events).
 * `opts.socket` is merged into the defaults (e.g. a Redis's `clientOptions` for TLS).
 */
export function redisClient(url, opts = {}) {
  const { socket, ...rest } = opts;
  const c = createClient({
    url,
    ...rest,
    socket: { reconnectStrategy: false, connectTimeout: 2000, ...socket },
  });
  c.lastError = null;
  c.on("error", (err) => {
    c.lastError = err;
  });
  return c;
}

async function pingOnce(url, clientOptions) {
  const c = redisClient(url, clientOptions);
  try {
    await withTimeout(c.connect(), 1000, "redis connect");
    return (await withTimeout(c.ping(), 1000, "redis PING")) === "PONG";
  } catch {
    return false;
  } finally {
    try {
      await c.disconnect();
    } catch {
      /* ignore */
    }
  }
}

/**
 * Start a private redis-server on a free loopback port; resolves once it answers PING.
 * Returns {port, url, client (a connected node-redis client), numsub(ch), stop()}, plus
 * {tls, caFile, certFile, keyFile, password, clientOptions} (what its clients need), and:
 * `kill()` (SIGKILL: every key, stream and subscription is gone), `restart()` (kill if still
 * running, then a new redis-server on the same port, empty; `client` is a new connected
 * client afterwards, other clients of the old one are dead), `xrange(stream)` (the stream's
 * entries with their fields in wire order), `sessions(prefix)` (the recovery sessions kept),
 * `clientList()` (CLIENT LIST, parsed).
 *
 * Options: `tls: {cert, key, ca}` (PEM file paths, e.g. from makeTlsCerts()): TLS only on
 * `port` (`--port 0`: no plaintext listener), url `rediss://…@localhost:<port>`;
 * `requireClientCert` (with `tls`, which must then also hold `clientCert`, `clientKey`):
 * `--tls-auth-clients yes`, Redis accepts only clients presenting a certificate `tls.ca`
 * signed; the harness's clients present `clientCert`, and `certFile` / `keyFile` are set (for
 * members' REDIS_CERT_FILE / REDIS_KEY_FILE); without it `--tls-auth-clients no`;
 * `password`: `--requirepass`, carried in the url.
 */
export async function startRedis({ tls = null, password = null, requireClientCert = false } = {}) {
  const bin = redisServerPath();
  if (requireClientCert && !tls) throw new Error("startRedis: requireClientCert needs tls");
  let caPem = null;
  if (tls) {
    const files = ["cert", "key", "ca", ...(requireClientCert ? ["clientCert", "clientKey"] : [])];
    for (const k of files) {
      if (!tls[k] || !existsSync(tls[k])) throw new Error(`startRedis: tls.${k} (${tls[k]}) is not a file`);
    }
    caPem = readFileSync(tls.ca);
  }
  const clientOptions = tls
    ? {
        socket: {
          tls: true,
          ca: caPem,
          ...(requireClientCert ? { cert: readFileSync(tls.clientCert), key: readFileSync(tls.clientKey) } : {}),
        },
      }
    : {};
  const auth = password ? `:${encodeURIComponent(password)}@` : "";
  // TLS: `localhost`, the name the server certificate is for (it also has IP:127.0.0.1).
  const urlOf = (port) => (tls ? `rediss://${auth}localhost:${port}` : `redis://${auth}127.0.0.1:${port}`);

  /** A redis-server on `port`, answering PING; {child, exitedP, exited(), output()}, or throws. */
  async function launch(port) {
    const listen = tls
      ? [
          "--port", "0",
          "--tls-port", String(port),
          "--tls-cert-file", tls.cert,
          "--tls-key-file", tls.key,
          "--tls-ca-cert-file", tls.ca,
          "--tls-auth-clients", requireClientCert ? "yes" : "no",
        ]
      : ["--port", String(port)];
    const child = spawn(
      bin,
      [
        ...listen,
        "--bind", "127.0.0.1",
        "--save", "",
        "--appendonly", "no",
        "--daemonize", "no",
        "--protected-mode", "yes",
        ...(password ? ["--requirepass", password] : []),
      ],
      { stdio: ["ignore", "pipe", "pipe"], detached: true },
    );
    live.add(child);
    let output = "";
    let exited = null;
    const onData = (chunk) => {
      output = (output + chunk).slice(-KEEP);
      if (VERBOSE) process.stderr.write(`[redis:${port}] ${chunk}`);
    };
    child.stdout.setEncoding("utf8").on("data", onData);
    child.stderr.setEncoding("utf8").on("data", onData);
    const exitedP = new Promise((resolve) =>
      child.on("exit", (code, signal) => {
        live.delete(child);
        exited = { code, signal };
        resolve(exited);
      }),
    );
    child.on("error", (err) => {
      exited = { error: err.message };
    });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !exited) {
      if (await pingOnce(urlOf(port), clientOptions)) {
        return { child, exitedP, exited: () => exited, output: () => output };
      }
      await sleep(50);
    }
    killTree(child);
    throw new Error(
      `redis-server (${bin}) on port ${port} did not answer PING within 10 s ` +
        `(exit: ${JSON.stringify(exited)}); output:\n${output}`,
    );
  }

  let lastErr;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    let proc;
    try {
      proc = await launch(port);
    } catch (err) {
      lastErr = err;
      continue;
    }
    const url = urlOf(port);
    const adminClient = async () => {
      const c = redisClient(url, { ...clientOptions, name: "ferrio-test-admin" });
      await c.connect();
      return c;
    };
    const redis = {
      port,
      url,
      client: await adminClient(),
      tls: !!tls,
      caFile: tls ? tls.ca : null,
      certFile: requireClientCert ? tls.clientCert : null,
      keyFile: requireClientCert ? tls.clientKey : null,
      password,
      clientOptions,
      restarts: 0,
      get output() {
        return proc.output();
      },
      /** PUBSUB NUMSUB for one channel. */
      async numsub(channel) {
        const r = await redis.client.sendCommand(["PUBSUB", "NUMSUB", channel]);
        return Number(r[1]);
      },
      async channels(pattern = "*") {
        return (await redis.client.sendCommand(["PUBSUB", "CHANNELS", pattern])).sort();
      },
      /**
       * XRANGE <stream> - +: [{id, fields: [[name, value], …] (in the entry's order), message
       * ({name: value})}]; [] when the stream does not exist.
       */
      async xrange(stream = PREFIX, start = "-", end = "+") {
        const raw = await redis.client.sendCommand(["XRANGE", stream, start, end]);
        return raw.map(([id, flat]) => {
          const fields = [];
          for (let i = 0; i < flat.length; i += 2) fields.push([String(flat[i]), String(flat[i + 1])]);
          return { id: String(id), fields, message: Object.fromEntries(fields) };
        });
      },
      /**
       * The recovery sessions kept (the streams adapter's `<prefix><pid>` keys):
       * [{key, pid, ttl (PTTL, ms), raw (the stored string), session (base64 → MessagePack,
       * or {undecodable})}], sorted by key.
       */
      async sessions(prefix = SESSION_PREFIX) {
        const keys = (await redis.client.sendCommand(["KEYS", `${prefix}*`])).map(String).sort();
        const out = [];
        for (const key of keys) {
          const raw = await redis.client.sendCommand(["GET", key]);
          const ttl = Number(await redis.client.sendCommand(["PTTL", key]));
          out.push({ key, pid: key.slice(prefix.length), ttl, raw: raw == null ? null : String(raw), session: decodeSession(raw) });
        }
        return out;
      },
      /** CLIENT LIST, parsed: [{id, name, sub, cmd, flags, …}]. */
      async clientList() {
        return parseClientList(String(await redis.client.sendCommand(["CLIENT", "LIST"])));
      },
      /** SIGKILL redis-server (its data goes with it); waits for it to exit. */
      async kill() {
        try {
          await redis.client.disconnect();
        } catch {
          /* already closed */
        }
        if (!proc.exited()) {
          killTree(proc.child, "SIGKILL");
          await withTimeout(proc.exitedP, 5000, "redis-server to exit after SIGKILL");
        }
      },
      /** A new, empty redis-server on the same port (after kill(), or killing it first). */
      async restart() {
        await redis.kill();
        proc = await launch(port);
        redis.restarts++;
        redis.client = await adminClient();
      },
      async stop() {
        try {
          await redis.client.disconnect();
        } catch {
          /* ignore */
        }
        if (!proc.exited()) {
          killTree(proc.child, "SIGTERM");
          await withTimeout(proc.exitedP, 3000, "redis-server to exit").catch(() => {
            killTree(proc.child, "SIGKILL");
            return withTimeout(proc.exitedP, 3000, "redis-server to exit after SIGKILL");
          });
        }
      },
    };
    return redis;
  }
  throw lastErr;
}

export { parseClientList };

/** A stored session: base64 text of MessagePack → the decoded value, or {undecodable}. */
export function decodeSession(raw) {
  if (raw == null) return null;
  try {
    return notepack.decode(Buffer.from(String(raw), "base64"));
  } catch (err) {
    return { undecodable: err.message };
  }
}

// ---------------------------------------------------------------------------
// throwaway TLS certificates
// ---------------------------------------------------------------------------

function openssl(args, cwd) {
  try {
    execFileSync("openssl", args, { cwd, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
  } catch (err) {
    if (err.code === "ENOENT") {
      throw new Error(
        "openssl is not installed: the TLS tests need it to make a throwaway CA and server " +
          "certificate (Debian: `apt-get install openssl`)",
      );
    }
    throw new Error(`openssl ${args.join(" ")} failed (exit ${err.status}):\n${err.stderr ?? err.message}`);
  }
}

/**
 * Makes, in a fresh temp dir, a throwaway v3 CA (basicConstraints CA:TRUE, keyCertSign), a
 * server certificate it signs (P-256; subjectAltName DNS:localhost, IP:127.0.0.1;
 * extendedKeyUsage serverAuth) and a client certificate it signs (P-256; CN ferrio test
 * client; extendedKeyUsage clientAuth), valid for a day. Returns {dir, ca, cert, key,
 * clientCert, clientKey (file paths), caPem, remove()}; call remove() afterwards (it deletes
 * the keys too).
 */
export function makeTlsCerts() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ferrio-tls-"));
  try {
    writeFileSync(
      path.join(dir, "openssl.cnf"),
      [
        "[req]",
        "prompt = no",
        "distinguished_name = dn",
        "[dn]",
        "CN = ferrio throwaway test CA",
        "[v3_ca]",
        "basicConstraints = critical, CA:TRUE",
        "keyUsage = critical, keyCertSign, cRLSign",
        "subjectKeyIdentifier = hash",
        "[v3_server]",
        "basicConstraints = critical, CA:FALSE",
        "keyUsage = critical, digitalSignature",
        "extendedKeyUsage = serverAuth",
        "subjectAltName = DNS:localhost, IP:127.0.0.1",
        "subjectKeyIdentifier = hash",
        "authorityKeyIdentifier = keyid, issuer",
        "[v3_client]",
        "basicConstraints = critical, CA:FALSE",
        "keyUsage = critical, digitalSignature",
        "extendedKeyUsage = clientAuth",
        "subjectKeyIdentifier = hash",
        "authorityKeyIdentifier = keyid, issuer",
        "",
      ].join("\n"),
    );
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl(
      ["req", "-x509", "-config", "openssl.cnf", "-extensions", "v3_ca", ...ec,
        "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-sha256"],
      dir,
    );
    const serial = `0x${Date.now().toString(16)}${process.pid.toString(16)}`;
    // A key and a certificate `name`.crt signed by the CA, with the extensions of `section`.
    const issue = (name, subject, section, serialSuffix) => {
      openssl(
        ["req", "-new", "-config", "openssl.cnf", "-subj", subject, ...ec,
          "-keyout", `${name}.key`, "-out", `${name}.csr`],
        dir,
      );
      openssl(
        ["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key",
          "-set_serial", `${serial}${serialSuffix}`,
          "-days", "1", "-sha256", "-extfile", "openssl.cnf", "-extensions", section,
          "-out", `${name}.crt`],
        dir,
      );
    };
    issue("server", "/CN=localhost", "v3_server", 0);
    issue("client", "/CN=ferrio test client", "v3_client", 1);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    dir,
    ca: path.join(dir, "ca.crt"),
    cert: path.join(dir, "server.crt"),
    key: path.join(dir, "server.key"),
    clientCert: path.join(dir, "client.crt"),
    clientKey: path.join(dir, "client.key"),
    caPem: readFileSync(path.join(dir, "ca.crt")),
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------
// the bus sniffer: every Pub/Sub message, for evidence
// ---------------------------------------------------------------------------

/** Describe one message: JSON text if it starts with `{`, else the MessagePack decoding. */
export function decodeMessage(buf) {
  if (buf.length && buf[0] === 0x7b) {
    const text = buf.toString("utf8");
    try {
      return { enc: "json", value: JSON.parse(text) };
    } catch {
      return { enc: "bad-json", value: text };
    }
  }
  try {
    return { enc: "msgpack", value: notepack.decode(buf) };
  } catch (err) {
    return { enc: "undecodable", value: `(${err.message})` };
  }
}

function show(value) {
  return JSON.stringify(value, (k, v) => {
    if (v && v.type === "Buffer" && Array.isArray(v.data)) return `<bin ${Buffer.from(v.data).toString("hex")}>`;
    if (Buffer.isBuffer(v)) return `<bin ${v.toString("hex")}>`;
    return v;
  });
}

export class Bus {
  static async start(redis) {
    const bus = new Bus();
    bus.client = redisClient(redis.url, { ...redis.clientOptions, name: "ferrio-test-bus" });
    await bus.client.connect();
    await bus.client.pSubscribe(
      "*",
      (message, channel) => {
        bus.messages.push({ seq: ++bus.seq, at: Date.now(), channel: channel.toString("utf8"), bytes: Buffer.from(message) });
        if (bus.messages.length > 5000) bus.messages.splice(0, 1000);
      },
      true,
    );
    return bus;
  }

  constructor() {
    this.messages = [];
    this.seq = 0;
  }

  /** A position: messages received after it can be listed with since(). */
  mark() {
    return this.seq;
  }

  since(mark) {
    return this.messages.filter((m) => m.seq > mark);
  }

  /** Human-readable list of the messages after `mark` (at most `max`, each cut to `width`). */
  describe(mark = 0, { max = 25, width = 600, filter } = {}) {
    let msgs = this.since(mark);
    if (filter) msgs = msgs.filter(filter);
    if (!msgs.length) return "  (no Pub/Sub message on the bus)";
    const lines = msgs.slice(-max).map((m) => {
      const d = decodeMessage(m.bytes);
      const hex = m.bytes.subarray(0, 48).toString("hex") + (m.bytes.length > 48 ? "…" : "");
      return `  ${m.channel} [${d.enc}, ${m.bytes.length} B] ${show(d.value).slice(0, width)}\n      hex ${hex}`;
    });
    if (msgs.length > max) lines.unshift(`  (${msgs.length - max} earlier messages left out)`);
    return lines.join("\n");
  }

  async stop() {
    try {
      await this.client.disconnect();
    } catch {
      /* ignore */
    }
  }
}

/**
 * Decode the `data` field of a stream entry as the streams adapter does: JSON when it starts
 * with `{`, else base64 of MessagePack (a message holding binary).
 */
export function decodeStreamData(data) {
  if (data == null) return { enc: "none", value: null };
  if (data.startsWith("{")) {
    try {
      return { enc: "json", value: JSON.parse(data) };
    } catch {
      return { enc: "bad-json", value: data };
    }
  }
  try {
    return { enc: "msgpack", value: notepack.decode(Buffer.from(data, "base64")) };
  } catch (err) {
    return { enc: "undecodable", value: `(${err.message})` };
  }
}

/**
 * Human-readable list of stream entries (from redis.xrange()), the last `max`, after the
 * entry id `afterId` when given: id, field names in order, type, nsp, uid, decoded data.
 */
export function describeStream(entries, { afterId = null, max = 25, width = 600 } = {}) {
  let list = entries;
  if (afterId) list = list.filter((e) => compareOffsets(e.id, afterId) > 0);
  if (!list.length) return "  (no stream entry)";
  const lines = list.slice(-max).map((e) => {
    const m = e.message;
    const d = decodeStreamData(m.data);
    return (
      `  ${e.id} fields [${e.fields.map(([k]) => k).join(", ")}] type ${m.type} nsp ${m.nsp} uid ${m.uid} ` +
      `data [${d.enc}] ${show(d.value).slice(0, width)}`
    );
  });
  if (list.length > max) lines.unshift(`  (${list.length - max} earlier entries left out)`);
  return lines.join("\n");
}

/** Orders two stream entry ids `<ms>-<seq>`. */
export function compareOffsets(a, b) {
  const [am, as] = a.split("-").map(BigInt);
  const [bm, bs] = b.split("-").map(BigInt);
  return am < bm ? -1 : am > bm ? 1 : as < bs ? -1 : as > bs ? 1 : 0;
}

/**
 * Evidence of what travelled since a mark, for failure messages: the Pub/Sub messages the bus
 * saw, and the entries of the stream (when it exists). `mark` is from evidenceMark().
 */
export async function evidence(cluster, mark = { bus: 0, afterId: null }) {
  let stream;
  try {
    stream = describeStream(await cluster.redis.xrange(STREAM), { afterId: mark.afterId });
  } catch (err) {
    stream = `  (XRANGE failed: ${err.message})`;
  }
  return `\nPub/Sub since the mark:\n${cluster.bus.describe(mark.bus)}\nstream ${STREAM} since the mark:\n${stream}`;
}

/** A mark for evidence(): the bus position and the stream's last entry id. */
export async function evidenceMark(cluster) {
  let afterId = null;
  try {
    const last = await cluster.redis.client.sendCommand(["XREVRANGE", STREAM, "+", "-", "COUNT", "1"]);
    afterId = last.length ? String(last[0][0]) : null;
  } catch {
    /* no stream yet */
  }
  return { bus: cluster.bus.mark(), afterId };
}

// ---------------------------------------------------------------------------
// members
// ---------------------------------------------------------------------------

function binDir() {
  const dir = process.env.FERRIO_BIN_DIR;
  if (!dir) {
    throw new Error(
      "FERRIO_BIN_DIR is not set: point it at the directory holding the ferrio `testapp` " +
        "binary, e.g. FERRIO_BIN_DIR=target/debug",
    );
  }
  return path.resolve(dir);
}

class Member {
  constructor(kind, name, child) {
    this.kind = kind; // "ferrio" | "node"
    this.name = name;
    this.child = child;
    this.url = null;
    this.stdout = "";
    this.stderr = "";
    this.exit = null;
    this.stopping = false;
    this.clients = new Set();
    this.exited = new Promise((resolve) => {
      child.on("exit", (code, signal) => {
        live.delete(child);
        this.exit = { code, signal };
        resolve(this.exit);
      });
      child.on("error", (error) => {
        if (child.pid === undefined && !this.exit) {
          this.exit = { code: null, signal: null, error: error.message };
          resolve(this.exit);
        }
      });
    });
    child.stderr.setEncoding("utf8").on("data", (chunk) => {
      this.stderr = (this.stderr + chunk).slice(-KEEP);
      if (VERBOSE) process.stderr.write(`[${this.name}] ${chunk}`);
    });
    child.stdout.setEncoding("utf8").on("data", (chunk) => {
      this.stdout = (this.stdout + chunk).slice(-KEEP);
      if (VERBOSE) process.stderr.write(`[${this.name}] ${chunk}`);
      if (!this.url) {
        const m = READY_RE.exec(this.stdout);
        if (m) {
          this.url = m[1];
          this.port = Number(m[2]);
          this._onReady?.();
        }
      }
    });
  }

  describe() {
    const status = this.exit
      ? this.exit.error
        ? `failed to start: ${this.exit.error}`
        : `exited (code ${this.exit.code}, signal ${this.exit.signal})`
      : "running";
    return `${this.name} [${status}] stderr (tail):\n${this.stderr.slice(-4000) || "(empty)"}`;
  }

  _ready() {
    return new Promise((resolve, reject) => {
      if (this.url) return resolve();
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `${this.name} did not print "ferrio listening on http://127.0.0.1:<port>" within ` +
                `${START_TIMEOUT_MS} ms; stdout: ${JSON.stringify(this.stdout.slice(-2000))}; ${this.describe()}`,
            ),
          ),
        START_TIMEOUT_MS,
      );
      this._onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      this.exited.then(() =>
        setTimeout(() => {
          clearTimeout(timer);
          reject(new Error(`${this.name} exited before listening; ${this.describe()}`));
        }, 50),
      );
    });
  }

  /** A socket.io-client socket on this member (not awaited; never reconnects). */
  socket(opts = {}) {
    const s = io(this.url, {
      forceNew: true,
      reconnection: false,
      timeout: 5000,
      transports: ["websocket"],
      ...opts,
    });
    this.clients.add(s);
    return s;
  }

  /** A connected client with an event recorder: {s, id, rec, member}. */
  async client(label, opts = {}) {
    const s = this.socket(opts);
    await connected(s);
    return { s, id: s.id, rec: recorder(s), label, member: this };
  }

  async kill() {
    this.stopping = true;
    if (!this.exit && this.child.pid !== undefined) killTree(this.child, "SIGKILL");
    await withTimeout(this.exited, 5000, `${this.name} to exit after SIGKILL`);
  }

  /** Close the clients, kill the process; throws if it had died on its own. */
  async stop() {
    for (const s of this.clients) {
      try {
        s.disconnect();
        s.io._close?.();
      } catch {
        /* ignore */
      }
    }
    this.clients.clear();
    const crashed = this.exit && !this.stopping;
    await this.kill();
    if (crashed) throw new Error(`${this.name} died during the tests; ${this.describe()}`);
  }

  assertAlive() {
    assert.equal(this.exit, null, `${this.name} is expected to be running; ${this.describe()}`);
  }
}

function spawnMember(kind, name, cmd, args, env) {
  const childEnv = { ...process.env, RUST_BACKTRACE: "1" };
  for (const k of [
    "PING_INTERVAL_MS", "PING_TIMEOUT_MS", "MAX_PAYLOAD", "TRANSPORTS", "CORS_ORIGINS",
    "REDIS_CA_FILE", "REDIS_CERT_FILE", "REDIS_KEY_FILE", "REDIS_ADAPTER", "RECOVERY_MS",
  ]) {
    delete childEnv[k];
  }
  // A null / undefined value unsets the variable (e.g. REDIS_CA_FILE: null).
  for (const [k, v] of Object.entries(env)) {
    if (v == null) delete childEnv[k];
    else childEnv[k] = String(v);
  }
  childEnv.PORT = "0";
  const child = spawn(cmd, args, { env: childEnv, stdio: ["ignore", "pipe", "pipe"], detached: true });
  live.add(child);
  return new Member(kind, name, child);
}

/** Waits for the ready line; on failure the member is killed and attached as `err.member`. */
async function ready(member) {
  try {
    await member._ready();
  } catch (err) {
    await member.kill().catch(() => {});
    err.member = member;
    throw err;
  }
  return member;
}

/**
 * REDIS_URL (and REDIS_CA_FILE for a TLS Redis, REDIS_CERT_FILE / REDIS_KEY_FILE for one
 * requiring client certificates) for a member; `env` overrides them.
 */
function redisEnv(redis, env) {
  return {
    REDIS_URL: redis.url,
    ...(redis.caFile ? { REDIS_CA_FILE: redis.caFile } : {}),
    ...(redis.certFile ? { REDIS_CERT_FILE: redis.certFile, REDIS_KEY_FILE: redis.keyFile } : {}),
    ...env,
  };
}

/** The Rust testapp with REDIS_URL set (so it uses the Redis adapter). */
export async function startFerrio(redis, { name = "ferrio", env = {} } = {}) {
  const bin = path.join(binDir(), "testapp");
  if (!existsSync(bin)) throw new Error(`ferrio binary not found: ${bin}`);
  return ready(spawnMember("ferrio", name, bin, [], redisEnv(redis, env)));
}

/** node-member.mjs: socket.io 4.8 + @socket.io/redis-adapter on the same Redis. */
export async function startNodeMember(redis, { name = "node", env = {} } = {}) {
  return ready(
    spawnMember("node", name, process.execPath, [path.join(HERE, "node-member.mjs")], redisEnv(redis, env)),
  );
}

/**
 * Start Redis, the bus sniffer and members of the given kinds, e.g. ["ferrio", "node"].
 * Waits (bounded, tolerant) until the members are subscribed before the tests run:
 * `PUBSUB NUMSUB <prefix>-request#/#` (classic) or `PUBSUB NUMSUB <prefix>#/#` (streams)
 * reaches the member count; `serverCountReached` says whether it did (the server-count tests
 * assert it). With the streams adapter it also waits (tolerant) until as many connections are
 * blocked in XREAD (`readersReached`). `redis`: startRedis's options (TLS, password);
 * `prefix`: the members' key prefix, when their env sets another one; `adapter`: "classic"
 * (the default) or "streams" (REDIS_ADAPTER=streams for every member); `common`: env for
 * every member, under `env[kind]` (which wins).
 */
export async function startCluster(
  kinds,
  { env = {}, common = {}, adapter = "classic", redis: redisOptions = {}, prefix = PREFIX } = {},
) {
  const redis = await startRedis(redisOptions);
  const cluster = { redis, bus: null, members: [], adapter, serverCountReached: false, readersReached: false };
  try {
    cluster.bus = await Bus.start(redis);
    let n = { ferrio: 0, node: 0 };
    for (const kind of kinds) {
      const name = `${kind}${++n[kind]}`;
      const memberEnv = {
        ...(adapter === "streams" ? { REDIS_ADAPTER: "streams" } : {}),
        ...common,
        ...(env[kind] ?? {}),
      };
      const m =
        kind === "ferrio"
          ? await startFerrio(redis, { name, env: memberEnv })
          : await startNodeMember(redis, { name, env: memberEnv });
      cluster.members.push(m);
    }
    await clusterUp(cluster, kinds.length, { prefix });
  } catch (err) {
    await stopCluster(cluster).catch(() => {});
    throw err;
  }
  cluster.stop = () => stopCluster(cluster);
  return cluster;
}

/**
 * Waits (bounded, tolerant) until `count` members are subscribed (and, streams, reading the
 * stream): sets and returns {serverCountReached, readersReached}. Also after a Redis restart.
 */
export async function clusterUp(cluster, count, { prefix = PREFIX, ms = 3000 } = {}) {
  const { redis } = cluster;
  const channel = cluster.adapter === "streams" ? `${prefix}#/#` : `${prefix}-request#/#`;
  cluster.serverCountReached = await waitUntil(async () => (await redis.numsub(channel)) >= count, ms, "server count").then(
    () => true,
    () => false,
  );
  if (cluster.adapter === "streams") {
    cluster.readersReached = await waitUntil(async () => (await blockedReaders(redis)) >= count, ms, "stream readers").then(
      () => true,
      () => false,
    );
  }
  await sleep(100);
  return { serverCountReached: cluster.serverCountReached, readersReached: cluster.readersReached };
}

/** How many connections are blocked in XREAD (the streams adapters' readers). */
export async function blockedReaders(redis) {
  return (await redis.clientList()).filter((c) => c.cmd === "xread" && (c.flags ?? "").includes("b")).length;
}

async function stopCluster(cluster) {
  const errors = [];
  for (const m of cluster.members) {
    await m.stop().catch((e) => errors.push(e));
  }
  await cluster.bus?.stop();
  await cluster.redis.stop().catch((e) => errors.push(e));
  if (errors.length) throw errors[0];
}

// ---------------------------------------------------------------------------
// clients
// ---------------------------------------------------------------------------


/** Emit with an ack; rejects with a clear message when no ack comes within `ms`. */
export async function ack(socket, event, ...args) {
  return ackWithin(3000, socket, event, ...args);
}


// ---------------------------------------------------------------------------
// values
// ---------------------------------------------------------------------------

export const ABSENCE_WAIT_MS = 250;

/**
 * Check who received `event`: every client in `yes` exactly once with `args` (binary compared
 * by content), every other client in `all` not at all. On failure the message lists the
 * Pub/Sub traffic since `mark` (bus evidence).
 */
export async function expectDelivery({ all, yes, event, args, bus, mark, ms = 3000 }) {
  const yesSet = new Set(yes);
  const evidence = () => (bus ? `\nPub/Sub since the action:\n${bus.describe(mark)}` : "");
  for (const c of yes) {
    await c.rec.waitFor(event, 1, ms).catch((err) => {
      throw new Error(
        `${c.label} (${c.member.name}, ${c.id}) should have received "${event}": ${err.message}${evidence()}`,
      );
    });
  }
  await sleep(ABSENCE_WAIT_MS);
  for (const c of all) {
    const got = c.rec.of(event);
    if (yesSet.has(c)) {
      assert.equal(got.length, 1, `${c.label} (${c.member.name}) must receive "${event}" exactly once, got ${got.length}${evidence()}`);
      assert.deepEqual(
        normalizeBinary(got[0]),
        normalizeBinary(args),
        `${c.label} (${c.member.name}): args of "${event}"${evidence()}`,
      );
    } else {
      assert.equal(got.length, 0, `${c.label} (${c.member.name}) must NOT receive "${event}" (got ${got.length})${evidence()}`);
    }
  }
}

let seq = 0;
/** A fresh event name, unique within the process. */
export const freshEvent = (tag) => `${tag}-${process.pid}-${++seq}`;

/** Close every client of every member (between tests). */
export function closeClients(members) {
  for (const m of members) {
    for (const s of m.clients) {
      try {
        s.disconnect();
      } catch {
        /* ignore */
      }
    }
    m.clients.clear();
  }
}

/** `which` for messages in test output. */
export function redisVersion() {
  try {
    return execFileSync(redisServerPath(), ["--version"], { encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

// ---------------------------------------------------------------------------
// a Flask-SocketIO process on the queue
// ---------------------------------------------------------------------------

/** The Python with Flask-SocketIO: FERRIO_PYTHON, else tests/redis/.venv (scripts/test makes it). */
function pythonPath() {
  const python = process.env.FERRIO_PYTHON ?? path.join(HERE, ".venv", "bin", "python");
  if (!existsSync(python)) {
    throw new Error(
      `no Python with Flask-SocketIO at ${python}: run scripts/test (it creates tests/redis/.venv ` +
        "from tests/redis/requirements.txt) or set FERRIO_PYTHON",
    );
  }
  return python;
}

/**
 * Runs `ops` (see flask_emitter.py) in a Flask-SocketIO process publishing on `channel` of
 * `redis`; resolves once the process has published them all and exited.
 */
export async function runFlask(redis, channel, ops) {
  const child = spawn(pythonPath(), [path.join(HERE, "flask_emitter.py"), redis.url, channel], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (chunk) => (out += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk) => (out += chunk));
  child.stdin.end(JSON.stringify(ops));
  const code = await withTimeout(
    new Promise((resolve) => child.on("exit", resolve)),
    15_000,
    "the Flask-SocketIO emitter to exit",
  ).catch((err) => {
    child.kill("SIGKILL");
    throw err;
  });
  if (code !== 0 || !out.includes("done")) {
    throw new Error(`the Flask-SocketIO emitter failed (exit ${code}):\n${out.slice(-4000)}`);
  }
}
