// movies: a cookie identifies the browser; identifying survives a reload, other browsers are strangers.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  launchBrowser,
  newPerson,
  startServer,
  waitForText,
  screenshot,
  withDiagnostics,
  expectClientBundle,
  assertNoProblems,
} from "./harness.mjs";

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test("identify, reload and stay logged in; another browser is not", { timeout: 30_000 }, async (t) => {
  const server = await startServer("movies", { t });
  await withDiagnostics(server, async () => {
    const first = await newPerson(browser, { name: "hzontine's browser" });
    const second = await newPerson(browser, { name: "another browser" });
    t.after(() => first.context.close());
    t.after(() => second.context.close());
    const { page } = first;

    await expectClientBundle(page, server.url, 4);
    await page.goto(server.url + "/");
    await waitForText(page, "#connection", "Connected", { exact: true });
    await waitForText(page, "#status", "Not logged in", { exact: true });

    // the page set an HttpOnly session cookie, invisible to the page's scripts
    const cookies = await first.context.cookies(server.url);
    const uid = cookies.find((c) => c.name === "movies_uid");
    assert.ok(uid, `GET / sets the movies_uid cookie; cookies: ${JSON.stringify(cookies)}`);
    assert.ok(uid.value.length > 0, "movies_uid has a value");
    assert.equal(uid.httpOnly, true, "movies_uid is HttpOnly");
    assert.equal(await page.evaluate(() => document.cookie.includes("movies_uid")), false);

    // type the name and click Identify
    await page.fill("#name", "hzontine");
    await page.click("#identify");
    await waitForText(page, "#status", "Logged in as hzontine", { exact: true });

    // reload: the same cookie, so the server knows this browser
    await page.reload();
    await waitForText(page, "#connection", "Connected", { exact: true });
    await waitForText(page, "#status", (s) => s === "Logged in" || s === "Logged in as hzontine", {
      what: '"Logged in" (on_connect with logged_in: true)',
    });
    const after = await first.context.cookies(server.url);
    assert.equal(after.find((c) => c.name === "movies_uid")?.value, uid.value, "the cookie is kept, not replaced");

    // another browser profile (its own cookie) is a stranger
    await second.page.goto(server.url + "/");
    await waitForText(second.page, "#connection", "Connected", { exact: true });
    await waitForText(second.page, "#status", "Not logged in", { exact: true });
    const other = (await second.context.cookies(server.url)).find((c) => c.name === "movies_uid");
    assert.ok(other && other.value !== uid.value, "the second browser gets its own movies_uid");

    // pressing Enter identifies too
    await second.page.fill("#name", "guest");
    await second.page.press("#name", "Enter");
    await waitForText(second.page, "#status", "Logged in as guest", { exact: true });
    // ... and that did not change who the first browser is
    await page.reload();
    await waitForText(page, "#status", (s) => s === "Logged in" || s === "Logged in as hzontine", {
      what: '"Logged in"',
    });

    assertNoProblems(page, second.page);
    await screenshot(page, "movies");
  });
});
