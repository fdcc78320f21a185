// Harness for the real-browser tests of ferrio's example apps.
//
// - Debian's Chromium (/usr/bin/chromium), headless, driven by playwright-core.
// - startServer(app) spawns `$FERRIO_BIN_DIR/<app>` with PORT=0, waits (<= 15 s) for
//   `ferrio listening on http(s)://127.0.0.1:<port>` on its stdout, and kills it afterwards.
// - Every wait is bounded, and a failed wait says what was awaited and what the page showed.
//
// Env: FERRIO_BIN_DIR (required, e.g. target/debug); FERRIO_TEST_VERBOSE=1 copies the
// servers' output to stderr.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SCREENSHOT_DIR = path.resolve(HERE, "..", "out", "screenshots");

const READY_RE = /ferrio listening on (https?:\/\/[^\s/]+:(\d+))/;
const START_TIMEOUT_MS = 15_000;
const OUTPUT_KEEP = 32 * 1024;
/** Default bound for one wait on a page (a person would not wait longer either). */
export const WAIT_MS = 5_000;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------
// prerequisites
// ---------------------------------------------------------------------------

function binDir() {
  const dir = process.env.FERRIO_BIN_DIR;
  if (!dir) {
    throw new Error(
      "FERRIO_BIN_DIR is not set: point it at the directory holding the example binaries " +
        "(clicker, chat, test_namespace, movies), e.g. FERRIO_BIN_DIR=target/debug",
    );
  }
  return path.resolve(dir);
}

function requireChromium() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the browser tests drive Debian's Chromium ` +
        "(apt-get install chromium)",
    );
  }
}

/** Throws a clear error unless `cmd` can be run. */
export function requireCommand(cmd, hint) {
  const r = spawnSync(cmd, ["version"], { stdio: "ignore" });
  if (r.error) {
    throw new Error(`\`${cmd}\` is not available (${r.error.code}): ${hint}`);
  }
}

// ---------------------------------------------------------------------------
// browser
// ---------------------------------------------------------------------------

/** Launch headless Chromium. Fails loudly without the browser or FERRIO_BIN_DIR. */
export async function launchBrowser() {
  binDir();
  requireChromium();
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 20_000,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/**
 * A person with their own browser profile (cookies): a new context and one page.
 * The page's uncaught errors, console errors and failed requests are collected in
 * `page.problems` and reported by failed waits.
 */
export async function newPerson(browser, { name = "person", contextOptions = {} } = {}) {
  const context = await browser.newContext({
    viewport: { width: 900, height: 760 },
    ...contextOptions,
  });
  const page = await context.newPage();
  watchPage(page, name);
  return { context, page, name };
}

/** Collect what went wrong in a page, for error messages. */
export function watchPage(page, name) {
  page.problems = [];
  page.personName = name;
  page.setDefaultTimeout(WAIT_MS);
  page.setDefaultNavigationTimeout(10_000);
  page.on("pageerror", (err) => page.problems.push(`page error: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error" && !msg.location()?.url?.endsWith("/favicon.ico")) page.problems.push(`console error: ${msg.text()}`);
  });
  page.on("requestfailed", (req) =>
    page.problems.push(`request failed: ${req.url()} (${req.failure()?.errorText})`),
  );
  page.on("response", (res) => {
    if (res.status() >= 400 && !res.url().endsWith("/favicon.ico")) page.problems.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  return page;
}

function describeProblems(page) {
  return page.problems?.length
    ? `\n  ${page.personName}'s page reported:\n    ${page.problems.slice(-10).join("\n    ")}`
    : "";
}

/** Fail if any of the pages reported errors (uncaught exceptions, console errors, failed loads). */
export function assertNoProblems(...pages) {
  const found = pages.filter((p) => p.problems?.length).map((p) => describeProblems(p)).join("");
  if (found) throw new Error(`the pages reported problems:${found}`);
}

/** The text a person sees in `selector` ("" when the element is absent). */
export async function textOf(page, selector) {
  const loc = page.locator(selector);
  if ((await loc.count()) === 0) return "";
  return (await loc.first().innerText()).trim();
}

/**
 * Wait until the text shown in `selector` satisfies `expected`: a string (the text
 * contains it, or equals it with `exact`), a RegExp, or a predicate on the text.
 * Returns the text. On timeout, throws with the last text seen and the page's problems.
 */
export async function waitForText(page, selector, expected, { exact = false, timeout = WAIT_MS, what } = {}) {
  const ok =
    typeof expected === "function"
      ? expected
      : expected instanceof RegExp
        ? (t) => expected.test(t)
        : exact
          ? (t) => t === expected
          : (t) => t.includes(expected);
  const deadline = Date.now() + timeout;
  let last = "";
  for (;;) {
    try {
      last = await textOf(page, selector);
    } catch (err) {
      last = `<${err.message.split("\n")[0]}>`;
    }
    if (ok(last)) return last;
    if (Date.now() >= deadline) {
      const want =
        what ?? (typeof expected === "function" ? "a matching text" : `${exact ? "exactly " : ""}${JSON.stringify(String(expected))}`);
      throw new Error(
        `${page.personName}: timed out after ${timeout} ms waiting for ${selector} to show ${want}; ` +
          `it shows ${JSON.stringify(last)}${describeProblems(page)}`,
      );
    }
    await sleep(50);
  }
}

/** Assert that `selector` keeps NOT showing `unwanted` for `ms` milliseconds. */
export async function expectNeverText(page, selector, unwanted, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    const text = await textOf(page, selector);
    if (text.includes(unwanted)) {
      throw new Error(
        `${page.personName}: ${selector} shows ${JSON.stringify(unwanted)} but should not` +
          `${what ? ` (${what})` : ""}; it shows ${JSON.stringify(text)}`,
      );
    }
    if (Date.now() >= deadline) return text;
    await sleep(50);
  }
}

/**
 * The page loads the socket.io client from the server: check that /socket.io/socket.io.js
 * is there and is the major version the page is written for.
 */
export async function expectClientBundle(page, baseUrl, major) {
  const res = await page.context().request.get(`${baseUrl}/socket.io/socket.io.js`, { timeout: WAIT_MS });
  const body = await res.text();
  if (res.status() !== 200) {
    throw new Error(`GET /socket.io/socket.io.js answered ${res.status()}: ${body.slice(0, 200)}`);
  }
  const version = /Socket\.IO v(\d+)\.(\d+)\.(\d+)/.exec(body.slice(0, 500));
  if (!version || Number(version[1]) !== major) {
    throw new Error(
      `/socket.io/socket.io.js should be the ${major}.x client, its header says ${version ? version[0] : JSON.stringify(body.slice(0, 80))}`,
    );
  }
  return version[0];
}

/** Save a screenshot to tests/out/screenshots/<name>.png. */
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.mouse.move(0, 0); // no hover highlight on the last button clicked
  await page.screenshot({ path: file, fullPage: true, timeout: 10_000 });
  return file;
}

// ---------------------------------------------------------------------------
// server process
// ---------------------------------------------------------------------------

/**
 * Spawn `$FERRIO_BIN_DIR/<app>` with PORT=0 and wait until it listens.
 * Resolves to a Server with `url` (e.g. http://127.0.0.1:41234) and `stop()`.
 * With `t` (a node:test context) the server is stopped when that test ends.
 */
export async function startServer(app, { env = {}, t } = {}) {
  const dir = binDir();
  const bin = path.join(dir, app);
  if (!existsSync(bin)) {
    throw new Error(`server binary not found: ${bin} (FERRIO_BIN_DIR=${dir}); build it with cargo build --bin ${app}`);
  }
  const childEnv = { ...process.env, RUST_BACKTRACE: "1", ...env, PORT: "0" };
  for (const k of ["CERT_FILE", "KEY_FILE"]) if (!(k in env)) delete childEnv[k];
  const child = spawn(bin, [], {
    env: childEnv,
    cwd: path.resolve(HERE, "..", ".."),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // own process group: stop() reaches anything it spawned
  });
  const server = new Server(app, child);
  if (t) t.after(() => server.stop());
  try {
    await server.ready;
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

class Server {
  constructor(app, child) {
    this.app = app;
    this.child = child;
    this.output = "";
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    this.exitInfo = null;
    this.exited.then((info) => (this.exitInfo = info));
    const verbose = process.env.FERRIO_TEST_VERBOSE === "1";
    let stdoutBuf = "";
    this.ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`${app} did not print "ferrio listening on http(s)://127.0.0.1:<port>" within ${START_TIMEOUT_MS} ms${this.tail()}`));
      }, START_TIMEOUT_MS);
      child.once("error", (err) => {
        clearTimeout(timer);
        reject(new Error(`cannot start ${app}: ${err.message}`));
      });
      this.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`${app} exited before listening (code ${code}, signal ${signal})${this.tail()}`));
      });
      child.stdout.setEncoding("utf8");
      child.stdout.on("data", (chunk) => {
        this.keep(chunk);
        if (verbose) process.stderr.write(`[${app}] ${chunk}`);
        stdoutBuf += chunk;
        const m = READY_RE.exec(stdoutBuf);
        if (m) {
          clearTimeout(timer);
          this.url = m[1];
          this.port = Number(m[2]);
          resolve(this);
        }
      });
    });
    this.ready.catch(() => {});
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk) => {
      this.keep(chunk);
      if (verbose) process.stderr.write(`[${app}] ${chunk}`);
    });
  }

  keep(chunk) {
    this.output += chunk;
    if (this.output.length > OUTPUT_KEEP) this.output = this.output.slice(-OUTPUT_KEEP);
  }

  tail() {
    const text = this.output.trim();
    return text ? `\n--- ${this.app} output (tail) ---\n${text.slice(-4000)}` : "";
  }

  /** SIGTERM the process group, SIGKILL after 3 s; resolves when the process is gone. */
  async stop() {
    if (this.exitInfo || this.child.exitCode !== null || this.child.signalCode !== null) return;
    const kill = (sig) => {
      try {
        process.kill(-this.child.pid, sig);
      } catch {
        try {
          this.child.kill(sig);
        } catch {
          /* already gone */
        }
      }
    };
    kill("SIGTERM");
    const timer = setTimeout(() => kill("SIGKILL"), 3_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * Run one test body; on failure, add the server's output tail to the error so that
 * a server-side cause is visible.
 */
export async function withDiagnostics(server, fn) {
  try {
    await fn();
  } catch (err) {
    if (server) err.message += server.tail();
    throw err;
  }
}

// ---------------------------------------------------------------------------
// TLS
// ---------------------------------------------------------------------------

/**
 * A self-signed certificate for localhost, made with openssl in a temp dir that is
 * removed when `t` ends. Returns { certFile, keyFile }.
 */
export function selfSignedCert(t) {
  requireCommand("openssl", "the HTTPS test makes a self-signed certificate with openssl (apt-get install openssl)");
  const dir = mkdtempSync(path.join(os.tmpdir(), "ferrio-tls-"));
  t?.after(() => rmSync(dir, { recursive: true, force: true }));
  const keyFile = path.join(dir, "key.pem");
  const certFile = path.join(dir, "cert.pem");
  const r = spawnSync(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-days", "1", "-keyout", keyFile, "-out", certFile],
    { encoding: "utf8", timeout: 20_000 },
  );
  if (r.status !== 0 || !existsSync(certFile) || !existsSync(keyFile)) {
    throw new Error(`openssl could not make a self-signed certificate (status ${r.status}): ${r.stderr || r.error}`);
  }
  return { certFile, keyFile };
}
