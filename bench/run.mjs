// The benchmark runner behind `bench/run`: builds the servers and the load generator, runs
// every scenario against every server, and writes bench/RESULTS.md and bench/results.jsonl.
//
// Method: one fresh server process per run, pinned to core 0 (`taskset -c 0`), the load
// generator pinned to core 1; within a scenario the servers take turns in every repeat
// (ferrio, socketioxide, node, floor, then again), so that a slow spell of this shared
// machine hits them all alike; each figure is the median of the repeats with their range,
// and every ratio to socketioxide is taken between runs of the same repeat.

import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SERVER_CORE = "0";
const LOADGEN_CORE = "1";
const READY = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/m;
/// The socketioxide buffer for the broadcast scenarios: its default (128 packets per socket)
/// drops what a fan-out queues beyond it.
const SOCKETIOXIDE_BUFFER = "1024";

// --- what runs -------------------------------------------------------------------------------

/// A server under test: how to start it, and whether it speaks only plain WebSocket.
const SERVERS = {
  ferrio: { command: (bin) => [bin("ferrio-echo")] },
  socketioxide: { command: (bin) => [bin("socketioxide-echo")] },
  node: { command: () => ["node", path.join(ROOT, "bench/node/server.mjs")] },
  floor: { command: (bin) => [bin("floor-echo")], raw: true },
};

/// One column of a scenario: a server, maybe with extra environment and load generator
/// arguments. `base` marks the socketioxide run the ratios divide by; `mayLose` a run that is
/// expected to drop deliveries (recorded, never a failure).
function contender(server, { label = server, env = {}, args = [], base = server === "socketioxide", mayLose = false } = {}) {
  return { server, label, env, args, base, mayLose };
}

const ALL = ["ferrio", "socketioxide", "node", "floor"].map((s) => contender(s));
const SOCKETIO = ALL.filter((c) => !SERVERS[c.server].raw);
const BUFFERED = contender("socketioxide", {
  label: `socketioxide (max_buffer_size ${SOCKETIOXIDE_BUFFER})`,
  env: { SOCKETIOXIDE_MAX_BUFFER: SOCKETIOXIDE_BUFFER },
});
const UNBUFFERED = contender("socketioxide", {
  label: "socketioxide (default buffer)",
  // What it drops never comes: wait 5 s for it, not the load generator's 60.
  args: ["--timeout", "5"],
  base: false,
  mayLose: true,
});
const withBuffer = (extra = []) =>
  SOCKETIO.flatMap((c) => (c.server === "socketioxide" ? [BUFFERED, ...extra] : [c]));

const TIMED = ["--duration", "10", "--warmup", "2"];
const TIMED_SMOKE = ["--duration", "1", "--warmup", "1"];

/// Every scenario: the load generator's scenario and arguments (full and smoke) and who runs
/// it. `cluster`: two ferrio servers on one redis-server, A (`--url`) the sender's, B
/// (`--url2`) the receivers'.
const SCENARIOS = [
  {
    name: "echo-100",
    what: "acknowledged echo of a small message, 100 connections",
    loadgen: "echo",
    args: ["--conns", "100", ...TIMED],
    smoke: ["--conns", "20", ...TIMED_SMOKE],
    contenders: ALL,
  },
  {
    name: "echo-1000",
    what: "acknowledged echo, 1 000 connections",
    loadgen: "echo",
    args: ["--conns", "1000", ...TIMED],
    smoke: ["--conns", "20", ...TIMED_SMOKE],
    contenders: ALL,
  },
  {
    name: "echo-10000",
    what: "acknowledged echo, 10 000 connections",
    loadgen: "echo",
    args: ["--conns", "10000", ...TIMED],
    smoke: ["--conns", "20", ...TIMED_SMOKE],
    contenders: ALL,
  },
  {
    name: "binary-echo",
    what: "acknowledged echo of a 64 KiB binary attachment, 100 connections",
    loadgen: "binary-echo",
    args: ["--conns", "100", "--size", "65536", ...TIMED],
    smoke: ["--conns", "20", "--size", "65536", ...TIMED_SMOKE],
    contenders: SOCKETIO,
  },
  {
    name: "polling-echo",
    what: "acknowledged echo over HTTP long-polling, 100 connections",
    loadgen: "echo",
    args: ["--transport", "polling", "--conns", "100", ...TIMED],
    smoke: ["--transport", "polling", "--conns", "20", ...TIMED_SMOKE],
    contenders: SOCKETIO,
  },
  {
    name: "fanout",
    what: "`io.emit` to 1 000 sockets, 200 rounds",
    loadgen: "fanout",
    args: ["--conns", "1000", "--rounds", "200"],
    smoke: ["--conns", "20", "--rounds", "10"],
    contenders: withBuffer([UNBUFFERED]),
  },
  {
    name: "rooms",
    what: "`io.to(room).emit` over 1 000 sockets in rooms, 200 rounds",
    loadgen: "rooms",
    args: ["--conns", "1000", "--rounds", "200"],
    smoke: ["--conns", "20", "--rounds", "10"],
    contenders: withBuffer(),
  },
  {
    name: "idle-memory",
    what: "memory of 10 000 idle connections, then after they leave, then after a second cycle",
    loadgen: "idle-memory",
    args: ["--conns", "10000"],
    smoke: ["--conns", "200"],
    contenders: ALL,
    memory: true,
  },
  {
    name: "connect-rate",
    what: "2 000 connections opened, at most 50 at a time",
    loadgen: "connect-rate",
    args: ["--conns", "2000", "--concurrency", "50"],
    smoke: ["--conns", "50", "--concurrency", "10"],
    contenders: ALL,
  },
  {
    name: "redis-fanout",
    what: "`io.emit` from a socket of server A to 1 000 sockets of server B, through Redis, 200 rounds",
    loadgen: "redis-fanout",
    args: ["--conns", "1000", "--rounds", "200"],
    smoke: ["--conns", "20", "--rounds", "10"],
    contenders: [contender("ferrio", { label: "ferrio + Redis (2 servers)" })],
    cluster: true,
  },
];

// --- processes -------------------------------------------------------------------------------

/// Every child still running, killed on any way out (the end, an error, Ctrl-C).
const live = new Set();

function killAll() {
  for (const child of live) child.kill("SIGKILL");
  live.clear();
}
process.on("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    console.error(`\nbench/run: ${signal}, stopping every server`);
    process.exit(1);
  });
}

/// Starts `command` and keeps the end of what it writes, for error messages.
function launch(command, env) {
  const child = spawn(command[0], command.slice(1), { env, stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  child.output = { stdout: "", stderr: "" };
  for (const stream of ["stdout", "stderr"]) {
    child[stream].setEncoding("utf8");
    child[stream].on("data", (text) => {
      child.output[stream] = (child.output[stream] + text).slice(-8192);
    });
  }
  // `close`, not `exit`: only then has all it wrote been read.
  child.exited = new Promise((resolve) => {
    child.on("error", (error) => resolve({ code: null, error }));
    child.on("close", (code, signal) => resolve({ code, signal }));
  });
  child.exited.then(() => live.delete(child));
  return child;
}

/// The environment of a server: ours without the variables that change a server's behaviour,
/// which only the scenario sets.
function serverEnv(extra) {
  const env = { ...process.env, PORT: "0", ...extra };
  for (const name of ["REDIS_URL", "SOCKETIOXIDE_MAX_BUFFER"]) if (!(name in extra)) delete env[name];
  return env;
}

/// Starts a server pinned to the server core; resolves with it and its URL once it prints
/// its `listening on` line, or fails saying why.
async function startServer(name, command, env) {
  const child = launch(["taskset", "-c", SERVER_CORE, ...command], serverEnv(env));
  const ready = new Promise((resolve) => {
    const check = () => {
      const match = child.output.stdout.match(READY);
      if (match) resolve(match[1]);
    };
    child.stdout.on("data", check);
  });
  const outcome = await Promise.race([
    ready,
    child.exited.then((exit) => ({ exit })),
    deadline(30_000).then(() => ({ timeout: true })),
  ]);
  if (typeof outcome === "string") return { child, url: outcome };
  await stop(child);
  const why = outcome.timeout
    ? "did not print `listening on http://127.0.0.1:PORT` within 30 s"
    : `exited (${describeExit(outcome.exit)}) before listening`;
  throw new Error(`the ${name} server (${command.join(" ")}) ${why}${tail(child.output.stderr)}`);
}

/// Stops a child: SIGTERM, then SIGKILL if it lingers; resolves once it is gone.
async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const gone = await Promise.race([child.exited.then(() => true), deadline(3000).then(() => false)]);
  if (!gone) {
    child.kill("SIGKILL");
    await child.exited;
  }
}

/// Starts a redis-server of our own on a free port (on the server core: it is part of the
/// cluster being measured) and resolves once it accepts connections.
async function startRedis() {
  const port = await freePort();
  const child = launch(
    ["taskset", "-c", SERVER_CORE, "redis-server", "--port", String(port), "--bind", "127.0.0.1",
      "--save", "", "--appendonly", "no"],
    process.env,
  );
  for (let waited = 0; waited < 10_000; waited += 50) {
    if (child.exitCode !== null) break;
    if (await accepts(port)) return { child, url: `redis://127.0.0.1:${port}` };
    await sleep(50);
  }
  await stop(child);
  throw new Error(`redis-server did not start on port ${port}${tail(child.output.stdout + child.output.stderr)}`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/// A sleep for `Promise.race` deadlines: it does not keep the runner alive once all else is done.
const deadline = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref());
const tail = (text) => (text.trim() ? `; its last output:\n${text.trim().split("\n").slice(-15).join("\n")}` : "");
const describeExit = ({ code, signal, error }) => error?.message ?? (signal ? `signal ${signal}` : `code ${code}`);

// --- one run ---------------------------------------------------------------------------------

/// Runs one contender of one scenario with fresh processes; resolves with the record of the
/// run (the load generator's JSON line and how it went). Never throws for a failed run.
async function runOnce(scenario, who, repeat, options) {
  const record = { bench: scenario.name, server: who.label, repeat, ok: false };
  const started = [];
  try {
    if (scenario.cluster) started.push(await startRedis());
    const redisEnv = scenario.cluster ? { REDIS_URL: started[0].url } : {};
    const command = SERVERS[who.server].command(options.bin);
    for (const name of scenario.cluster ? ["A", "B"] : [""]) {
      started.push(await startServer(`${who.label} ${name}`.trim(), command, { ...who.env, ...redisEnv }));
    }
    const [first, second] = started.slice(scenario.cluster ? 1 : 0);
    // In a cluster the CPU measured is B's, the server that fans out.
    const measured = second ?? first;
    const args = [
      scenario.loadgen,
      "--url", first.url,
      ...(second ? ["--url2", second.url] : []),
      "--server-pid", String(measured.child.pid),
      ...(options.smoke ? scenario.smoke : scenario.args),
      ...who.args,
      ...(SERVERS[who.server].raw ? ["--raw"] : []),
    ];
    Object.assign(record, await runLoadgen(options.loadgen, args));
    const crashed = started.find(({ child }) => child.exitCode !== null || child.signalCode !== null);
    if (crashed) {
      const { child } = crashed;
      const how = child.signalCode ? `signal ${child.signalCode}` : `code ${child.exitCode}`;
      record.failure = `a server exited (${how}) during the run${tail(child.output.stderr)}; the load generator said: ${record.failure ?? "nothing wrong"}`;
    }
    record.ok = !crashed && judge(record, who);
  } catch (error) {
    record.failure = error.message;
  } finally {
    for (const { child } of started.reverse()) await stop(child);
  }
  return record;
}

/// Runs the load generator pinned to its core; resolves with its JSON line plus `exit` and,
/// when it printed no JSON, `failure`.
async function runLoadgen(loadgen, args) {
  const child = launch(["taskset", "-c", LOADGEN_CORE, loadgen, ...args], process.env);
  let stdout = "";
  child.stdout.on("data", (text) => (stdout += text));
  const exit = await Promise.race([child.exited, deadline(600_000).then(() => ({ timeout: true }))]);
  if (exit.timeout) {
    await stop(child);
    return { exit: null, failure: `loadgen ${args.join(" ")} ran past 10 minutes` };
  }
  const line = stdout.trim().split("\n").pop();
  const result = { exit: exit.code };
  try {
    Object.assign(result, JSON.parse(line));
  } catch {
    result.failure = `loadgen ${args.join(" ")} (${describeExit(exit)}) printed no JSON line${tail(child.output.stderr)}`;
    return result;
  }
  if (exit.code !== 0) result.failure = result.error ?? `loadgen exited with ${describeExit(exit)}${tail(child.output.stderr)}`;
  recoverLoss(result);
  return result;
}

/// A run that lost deliveries reports no counts, only its error (`deliveries missing after
/// 5s: 151234 of 200000 delivered; ...`): take them from there, so that a lossy run still
/// shows how much it lost.
function recoverLoss(result) {
  const match = result.error?.match(/deliveries missing .*?: (\d+) of (\d+) delivered/);
  if (match && result.delivered == null) {
    result.delivered = Number(match[1]);
    result.expected = Number(match[2]);
  }
}

/// A run passes when the load generator succeeded and every expected delivery arrived; a
/// contender that may lose passes whenever it counted its deliveries.
function judge(record, who) {
  if (who.mayLose) return typeof record.delivered === "number";
  if (record.failure) return false;
  if (record.delivered !== record.expected) {
    record.failure = `delivered ${record.delivered} of ${record.expected}`;
    return false;
  }
  return true;
}

// --- the whole suite -------------------------------------------------------------------------

function options() {
  const { values } = parseArgs({
    options: {
      smoke: { type: "boolean", default: false },
      only: { type: "string" },
      repeats: { type: "string", default: "3" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log("usage: bench/run [--smoke] [--only SCENARIO,...] [--repeats N]");
    console.log(`scenarios: ${SCENARIOS.map((s) => s.name).join(", ")}`);
    process.exit(0);
  }
  const names = values.only ? values.only.split(",").map((n) => n.trim()) : SCENARIOS.map((s) => s.name);
  const unknown = names.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length) fail(`unknown scenario ${unknown.join(", ")}; known: ${SCENARIOS.map((s) => s.name).join(", ")}`);
  const repeats = values.smoke ? 1 : Number(values.repeats);
  if (!Number.isInteger(repeats) || repeats < 1) fail(`--repeats ${values.repeats}: a whole number, 1 or more`);
  const profile = values.smoke ? "debug" : "release";
  const bin = (name) => path.join(ROOT, "target", profile, name);
  return {
    smoke: values.smoke,
    // Only a full run of every scenario rewrites bench/RESULTS.md.
    partial: values.smoke || names.length < SCENARIOS.length,
    repeats,
    scenarios: SCENARIOS.filter((s) => names.includes(s.name)),
    profile,
    bin,
    loadgen: bin("loadgen"),
  };
}

function fail(message) {
  console.error(`bench/run: ${message}`);
  process.exit(1);
}

/// Runs `command` with its output shown; stops the suite if it fails.
function step(command, args, cwd = ROOT) {
  console.log(`== ${command} ${args.join(" ")}${cwd === ROOT ? "" : ` (in ${path.relative(ROOT, cwd)})`}`);
  const result = spawnSync(command, args, { cwd, stdio: "inherit" });
  if (result.error) fail(`${command}: ${result.error.message}`);
  if (result.status !== 0) fail(`${command} ${args.join(" ")} failed (exit ${result.status})`);
}

/// Checks the tools the selected scenarios need, then builds the binaries and installs the
/// Node server's packages.
function prepare(opts) {
  const needed = ["cargo", "npm", "taskset"];
  if (opts.scenarios.some((s) => s.cluster)) needed.push("redis-server");
  const missing = needed.filter((tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0);
  if (missing.length) {
    const redis = missing.includes("redis-server") ? " (apt-get install redis-server, or leave out redis-fanout with --only)" : "";
    fail(`missing ${missing.join(", ")}${redis}`);
  }
  step("cargo", ["build", ...(opts.smoke ? [] : ["--release"]), "-p", "ferrio-loadgen", "-p", "ferrio-bench-servers"]);
  step("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], path.join(ROOT, "bench/node"));
  const bins = [opts.loadgen, ...["ferrio-echo", "socketioxide-echo", "floor-echo"].map(opts.bin)];
  const absent = bins.filter((file) => !fs.existsSync(file));
  if (absent.length) fail(`the build did not produce ${absent.map((f) => path.relative(ROOT, f)).join(", ")}`);
}

async function main() {
  const opts = options();
  prepare(opts);
  const out = opts.partial ? fs.mkdtempSync(path.join(os.tmpdir(), "ferrio-bench-")) : path.join(ROOT, "bench");
  const started = new Date();
  const records = [];
  let passed = 0;
  for (const scenario of opts.scenarios) {
    let scenarioOk = true;
    for (let repeat = 1; repeat <= opts.repeats; repeat++) {
      for (const record of await runRepeat(scenario, repeat, opts)) {
        records.push(record);
        console.log(progressLine(record, opts.repeats));
        scenarioOk &&= record.ok;
      }
    }
    if (scenarioOk) passed++;
  }
  const failed = opts.scenarios.length - passed;
  // Written only now, so that an interrupted run leaves the last results as they were.
  const jsonl = path.join(out, "results.jsonl");
  fs.writeFileSync(jsonl, records.map((r) => `${JSON.stringify(r)}\n`).join(""));
  const reportPath = path.join(out, "RESULTS.md");
  fs.writeFileSync(reportPath, renderReport({ opts, records, started }));
  const shown = (file) => (opts.partial ? file : path.relative(ROOT, file));
  console.log(`\nwrote ${shown(reportPath)} and ${shown(jsonl)}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

/// One repeat of a scenario: its contenders one after the other, or, for the smoke (which
/// checks deliveries and measures nothing), all at once, since most of its time is waiting.
async function runRepeat(scenario, repeat, opts) {
  if (opts.smoke) return Promise.all(scenario.contenders.map((who) => runOnce(scenario, who, repeat, opts)));
  const records = [];
  for (const who of scenario.contenders) records.push(await runOnce(scenario, who, repeat, opts));
  return records;
}

function progressLine(r, repeats) {
  const where = `[${r.bench} ${r.repeat}/${repeats}] ${r.server}`;
  if (r.ops === undefined) return `${where}: FAILED: ${r.failure}`;
  const delivered = typeof r.delivered === "number" ? `, delivered ${r.delivered}/${r.expected}` : "";
  const figures = `${num(r.ops_per_sec)} ops/s, p99 ${num(r.p99_us)} µs${delivered}`;
  if (!r.ok) return `${where}: FAILED: ${figures}: ${r.failure}`;
  return `${where}: ${figures}${r.failure ? ` (${r.failure.split(";")[0]})` : ""}`;
}

// --- the report ------------------------------------------------------------------------------

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/// `median (min–max)` of the figures, or `–` when there are none.
function spread(xs, format = num) {
  const values = xs.filter((x) => typeof x === "number" && Number.isFinite(x));
  if (!values.length) return "–";
  const [lo, hi] = [Math.min(...values), Math.max(...values)];
  const m = format(median(values));
  return lo === hi || values.length === 1 ? m : `${m} (${format(lo)}–${format(hi)})`;
}

/// A figure for a table: thousands grouped, decimals only where they tell something.
function num(x) {
  if (typeof x !== "number" || !Number.isFinite(x)) return "–";
  if (Math.abs(x) >= 100) return count(x);
  return x >= 10 ? x.toFixed(1) : x.toFixed(2);
}
const ratioFormat = (x) => x.toFixed(2);
/// A share of one core, as a whole percentage.
const percent = (x) => `${Math.round(x * 100)} %`;
/// A whole number, thousands grouped.
const count = (x) => Math.round(x).toLocaleString("en-US").replaceAll(",", " ");

/// The runs of one contender in one scenario that passed, by repeat: only they make figures.
function byRepeat(records, bench, label) {
  return new Map(records.filter((r) => r.bench === bench && r.server === label && r.ok).map((r) => [r.repeat, r]));
}

/// `field` of `runs` over the same field of the socketioxide base, repeat by repeat.
function ratios(runs, baseRuns, field) {
  const out = [];
  for (const [repeat, run] of runs) {
    const base = baseRuns.get(repeat);
    if (base && base[field] > 0 && typeof run[field] === "number") out.push(run[field] / base[field]);
  }
  return out;
}

/// Every scenario's figures, ready for the tables.
function summarize(scenario, records) {
  const base = scenario.contenders.find((c) => c.base);
  const baseRuns = base ? byRepeat(records, scenario.name, base.label) : new Map();
  return scenario.contenders.map((who) => {
    const runs = byRepeat(records, scenario.name, who.label);
    const all = records.filter((r) => r.bench === scenario.name && r.server === who.label);
    // A lossy run (a contender that may lose) counts its deliveries, but its other figures
    // are those of a failed run: zeros.
    const complete = new Map([...runs].filter(([, r]) => !r.failure));
    const counts = ["delivered", "expected"];
    const field = (name) => [...(counts.includes(name) ? runs : complete).values()].map((r) => r[name]);
    const ratio = (name) => (base ? ratios(complete, baseRuns, name) : []);
    return { who, runs, all, field, ratio };
  });
}

function renderReport({ opts, records, started }) {
  const lines = [];
  const push = (...xs) => lines.push(...xs);
  push(
    "# ferrio benchmarks",
    "",
    `Written by \`bench/run${opts.smoke ? " --smoke" : ""}\` on ${started.toISOString().slice(0, 16).replace("T", " ")} UTC; ` +
      "rerun it to regenerate this file (raw figures: `results.jsonl` beside it).",
    "",
    ...summaryTable(opts, records),
    "",
    "## Machine and versions",
    "",
    ...machine(opts).map((l) => `- ${l}`),
    "",
    "## Method",
    "",
    ...method(opts),
    "",
  );
  for (const scenario of opts.scenarios) push(...scenarioSection(scenario, records), "");
  return `${lines.join("\n").trimEnd()}\n`;
}

/// The table the README quotes: one line per scenario, the headline figure of each server.
function summaryTable(opts, records) {
  const columns = ["ferrio", "socketioxide", "node", "floor"];
  const out = [
    "| scenario | figure (median) | ferrio | socketioxide | node | floor | ferrio / socketioxide |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  const notes = [];
  for (const scenario of opts.scenarios) {
    const rows = summarize(scenario, records);
    const metric = scenario.memory ? "kib_per_socket" : "ops_per_sec";
    const cells = columns.map((server) => {
      const row = rows.find((r) => r.who.server === server && !r.who.mayLose);
      return row ? num(median(row.field(metric).filter(Number.isFinite))) : "";
    });
    const ferrio = rows.find((r) => r.who.server === "ferrio");
    const ratio = ferrio && rows.some((r) => r.who.base) ? spread(ferrio.ratio(metric), ratioFormat) : "";
    const figure = scenario.memory ? "KiB per socket (lower is better)" : scenario.loadgen === "connect-rate" ? "connections/s" : "ops/s";
    out.push(`| ${scenario.name} | ${figure} | ${cells.join(" | ")} | ${ratio} |`);
    for (const row of rows.filter((r) => r.who.mayLose)) {
      const lost = 1 - median(row.field("delivered")) / median(row.field("expected"));
      const share = Number.isFinite(lost) ? ` (${(100 * lost).toFixed(1)} % lost)` : "";
      notes.push(`${scenario.name}: ${row.who.label} delivered ${deliveredCell(row)}${share}.`);
    }
  }
  if (notes.length) out.push("", ...notes);
  return out;
}

function machine(opts) {
  const cpu = fs.readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.*)$/m)?.[1] ?? "unknown";
  const mem = Number(fs.readFileSync("/proc/meminfo", "utf8").match(/^MemTotal:\s*(\d+)/m)?.[1] ?? 0);
  const lock = fs.readFileSync(path.join(ROOT, "Cargo.lock"), "utf8");
  const locked = (name) => lock.match(new RegExp(`name = "${name}"\\nversion = "([^"]+)"`))?.[1] ?? "?";
  const socketIo = JSON.parse(fs.readFileSync(path.join(ROOT, "bench/node/node_modules/socket.io/package.json"), "utf8")).version;
  const commit = capture("git", ["rev-parse", "--short", "HEAD"]);
  // The results files are written before this report: they do not count as changes.
  const dirty = capture("git", ["status", "--porcelain", "--", "runtime", "macros", "bench",
    ":!bench/results.jsonl", ":!bench/RESULTS.md"]);
  return [
    `${os.cpus().length} cores (\`nproc\`: ${capture("nproc", [])}), ${cpu}, ${(mem / 1024 / 1024).toFixed(1)} GiB, Linux ${os.release()}`,
    `ferrio ${commit}${dirty ? " with uncommitted changes (runtime/, macros/ or bench/)" : ""}; ${capture("rustc", ["--version"])}, ${opts.profile} build`,
    `socketioxide ${locked("socketioxide")}, tokio-tungstenite ${locked("tokio-tungstenite")} (floor), tokio ${locked("tokio")}`,
    `Node ${process.version}, socket.io ${socketIo}`,
    ...(opts.scenarios.some((s) => s.cluster) ? [capture("redis-server", ["--version"]).split(" sha=")[0]] : []),
  ];
}

function capture(command, args) {
  const result = spawnSync(command, args, { cwd: ROOT, encoding: "utf8" });
  return result.status === 0 ? result.stdout.trim() : "?";
}

function method(opts) {
  const args = (s) => `\`loadgen ${s.loadgen} ${(opts.smoke ? s.smoke : s.args).join(" ")}\``;
  return [
    `- Every run starts a fresh server process pinned to core ${SERVER_CORE} (\`taskset -c ${SERVER_CORE}\`) and the load ` +
      `generator (\`bench/loadgen\`) pinned to core ${LOADGEN_CORE}; the servers run with their default options ` +
      "(tokio's multi-thread runtime, which sees one core), on 127.0.0.1.",
    `- ${opts.repeats} repeat${opts.repeats > 1 ? "s" : ""}; in each, every server of a scenario runs once, in the order of its table, ` +
      "so that the servers take turns. Figures are medians with the min–max over the repeats. A ratio to socketioxide divides " +
      "two runs of the same repeat; its median and range are over the repeats.",
    "- Server CPU per operation is the server's user + system CPU time over the measured interval divided by the operations; " +
      "ops for echo scenarios are acknowledged round trips, for fan-out and rooms deliveries, for connect-rate connections.",
    `- socketioxide drops what does not fit in a socket's buffer (\`max_buffer_size\`, 128 packets by default): the fan-out and ` +
      `rooms runs raise it to ${SOCKETIOXIDE_BUFFER} (\`SOCKETIOXIDE_MAX_BUFFER\`), and fan-out also runs it at its default to show the loss ` +
      "(waiting 5 s for missing deliveries: `--timeout 5`).",
    "- socketioxide 0.18 spawns every event handler as a task of its own, which reorders a socket's back-to-back events: " +
      "its server broadcasts in the handler's synchronous part so that rounds arrive in order, as with Node and ferrio " +
      "(`bench/servers/src/bin/socketioxide_echo.rs`). It is served by `axum::serve`, as its examples are, which leaves " +
      "Nagle's algorithm on; ferrio, Node and the floor turn it off.",
    "- The floor is a bare tokio-tungstenite WebSocket echo server (`--raw`: no Engine.IO or Socket.IO framing), reading " +
      "with a 4 KiB buffer as ferrio's transport does (tungstenite's 128 KiB default would make it the largest per socket).",
    "- The load generator's CPU column is its share of its core over the measured window. Near 100 %, the generator " +
      "limits the rate, not the server: ops/s then says how cheaply the generator can talk to a server, and a server that " +
      "keeps up sleeps between messages, so that each of the generator's sends on loopback also pays to wake it (the floor, " +
      "which does the least work, is then not the fastest). Server CPU per operation is the figure to compare there.",
    "- The machine is shared: other work on it shows in the ranges.",
    "- redis-fanout: two ferrio servers and their redis-server share the server core; the sender is a socket of server A, " +
      "the counted sockets are on server B, and the server CPU is B's.",
    "- Load generator arguments:",
    ...opts.scenarios.map((s) => `  - ${s.name} (${s.what}): ${args(s)}`),
  ];
}

function deliveredCell(row) {
  const d = row.field("delivered").filter((x) => typeof x === "number");
  const e = row.field("expected").filter((x) => typeof x === "number");
  if (!d.length) return "–";
  return `${spread(d, count)} / ${count(median(e))}`;
}

function scenarioSection(scenario, records) {
  const rows = summarize(scenario, records);
  const out = [`## ${scenario.name}`, "", `${scenario.what[0].toUpperCase()}${scenario.what.slice(1)}.`, ""];
  const hasBase = rows.some((r) => r.who.base);
  const vs = (row, field) => (hasBase ? spread(row.ratio(field), ratioFormat) : "–");
  if (scenario.memory) {
    out.push(
      "RSS in KiB: before connecting, with every socket connected, after they left, connected again, after they left again.",
      "",
      "| server | KiB per socket | vs socketioxide | RSS before | connected | after leave | connected again | after a second cycle | runs ok |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    );
    for (const row of rows) {
      const rss = ["rss_baseline_kib", "rss_connected_kib", "rss_after_leave_kib", "rss_connected_second_kib", "rss_after_second_cycle_kib"];
      out.push(`| ${row.who.label} | ${spread(row.field("kib_per_socket"))} | ${vs(row, "kib_per_socket")} | ` +
        `${rss.map((f) => spread(row.field(f), count)).join(" | ")} | ${runsOk(row)} |`);
    }
  } else {
    out.push(
      "| server | ops/s | vs socketioxide | server CPU µs/op | vs socketioxide | p50 / p99 µs | p99 vs socketioxide | load generator CPU | delivered / expected | runs ok |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    );
    for (const row of rows) {
      out.push(`| ${row.who.label} | ${spread(row.field("ops_per_sec"))} | ${vs(row, "ops_per_sec")} | ` +
        `${spread(row.field("server_cpu_us_per_op"))} | ${vs(row, "server_cpu_us_per_op")} | ` +
        `${spread(row.field("p50_us"))} / ${spread(row.field("p99_us"))} | ${vs(row, "p99_us")} | ` +
        `${spread(row.field("loadgen_cpu_share"), percent)} | ${deliveredCell(row)} | ${runsOk(row)} |`);
    }
  }
  const failures = rows.flatMap((r) => r.all.filter((x) => !x.ok).map((x) => `- ${r.who.label}, repeat ${x.repeat}: ${x.failure}`));
  if (failures.length) out.push("", "Failed runs:", "", ...failures);
  return out;
}

const runsOk = (row) => `${row.all.filter((r) => r.ok).length}/${row.all.length}`;

await main();
