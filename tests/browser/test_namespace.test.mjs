// test_namespace: the /test namespace echo with acknowledgements, over HTTP and HTTPS.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  launchBrowser,
  newPerson,
  startServer,
  waitForText,
  screenshot,
  selfSignedCert,
  watchPage,
  withDiagnostics,
  expectClientBundle,
  assertNoProblems,
  sleep,
} from "./harness.mjs";

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

async function logLines(page) {
  return (await page.locator("#log > *").allInnerTexts()).map((s) => s.trim());
}

/** Type `text` into the form and submit it with the button, then see the echo and the ack. */
async function echo(page, text, count) {
  await page.fill("#emit_data", text);
  await page.locator("#emit").getByRole("button").click();
  await waitForText(page, "#log", `Received #${count}: ${text}`);
  await waitForText(page, "#log", `server callback ran for #${count}`);
}

async function exercise(t, server, contextOptions, scheme) {
  const person = await newPerson(browser, { name: `visitor (${scheme})`, contextOptions });
  t.after(() => person.context.close());
  const { page } = person;

  await expectClientBundle(page, server.url, 2);
  await page.goto(server.url + "/");
  assert.equal(new URL(page.url()).protocol, `${scheme}:`);
  await waitForText(page, "#connection", "Connected", { exact: true });
  await waitForText(page, "#log", "Received #0: Server connected");

  await echo(page, "hello", 1);
  // pressing Enter submits the form too
  await page.fill("#emit_data", "second");
  await page.press("#emit_data", "Enter");
  await waitForText(page, "#log", "Received #2: second");
  await waitForText(page, "#log", "server callback ran for #2");
  await echo(page, "ünïcode ✓", 3);

  // the acknowledgement of each response comes right after that response
  await sleep(100);
  assert.deepEqual(await logLines(page), [
    "Received #0: Server connected",
    "Received #1: hello",
    "server callback ran for #1",
    "Received #2: second",
    "server callback ran for #2",
    "Received #3: ünïcode ✓",
    "server callback ran for #3",
  ]);

  // the count is per connection: a second tab starts again at 1
  const tab = await person.context.newPage();
  watchPage(tab, `second tab (${scheme})`);
  await tab.goto(server.url + "/");
  await waitForText(tab, "#log", "Received #0: Server connected");
  await echo(tab, "other tab", 1);
  assertNoProblems(page, tab);
  await tab.close();
  return page;
}

test("echo with acknowledgements over HTTP", { timeout: 30_000 }, async (t) => {
  const server = await startServer("test_namespace", { t });
  assert.match(server.url, /^http:\/\//);
  await withDiagnostics(server, async () => {
    const page = await exercise(t, server, {}, "http");
    await screenshot(page, "test_namespace");
  });
});

test("echo with acknowledgements over HTTPS (self-signed certificate)", { timeout: 40_000 }, async (t) => {
  const { certFile, keyFile } = selfSignedCert(t);
  const server = await startServer("test_namespace", { t, env: { CERT_FILE: certFile, KEY_FILE: keyFile } });
  assert.match(server.url, /^https:\/\//, `with CERT_FILE/KEY_FILE the server should listen on https, printed ${server.url}`);
  await withDiagnostics(server, async () => {
    await exercise(t, server, { ignoreHTTPSErrors: true }, "https");
  });
});
