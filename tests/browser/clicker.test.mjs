// clicker: two players, each with their own mine, in two browser profiles.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  launchBrowser,
  newPerson,
  startServer,
  waitForText,
  expectNeverText,
  textOf,
  screenshot,
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

/** Open the start page, type the name into the form and submit it, as a person would. */
async function enterGame(page, url, name) {
  await page.goto(url + "/");
  await page.getByRole("textbox").fill(name);
  await Promise.all([
    page.waitForURL(/\/game$/),
    page.getByRole("button", { name: /play/i }).click(),
  ]);
  await waitForText(page, "#connection", "Connected", { exact: true });
}

const num = async (page, sel) => {
  const text = await textOf(page, sel);
  const n = Number(text);
  assert.ok(Number.isFinite(n) && text !== "", `${page.personName}: ${sel} should show a number, shows ${JSON.stringify(text)}`);
  return n;
};

test("two players click, buy and earn gold independently", { timeout: 40_000 }, async (t) => {
  const server = await startServer("clicker", { t });
  await withDiagnostics(server, async () => {
    // a name with HTML special characters: the server must escape it into the page
    const nameA = "Ann & <Co>";
    const nameB = "Bob";
    const a = await newPerson(browser, { name: "player A" });
    const b = await newPerson(browser, { name: "player B" });
    t.after(() => a.context.close());
    t.after(() => b.context.close());

    // the start page is a plain form posting to /game
    await a.page.goto(server.url + "/");
    const form = a.page.locator('form[action="/game"][method="post"]');
    assert.equal(await form.count(), 1, "start page has <form action=/game method=post>");
    assert.equal(await form.locator('input[name="username"]').count(), 1, "the form has an input named username");

    await expectClientBundle(a.page, server.url, 2);
    await enterGame(a.page, server.url, nameA);
    await enterGame(b.page, server.url, nameB);

    // each page greets its own player, the name shown as text (escaped by the server)
    await waitForText(a.page, "#username", nameA, { exact: true });
    await waitForText(b.page, "#username", nameB, { exact: true });
    // every {{username}} of game.html is filled in, the title too
    assert.equal(await a.page.title(), `Clicker - ${nameA}`);
    await waitForText(a.page, "#gold", "0", { exact: true });
    await waitForText(b.page, "#gold", "0", { exact: true });

    // record every state A's page shows, to check what the purchase did
    await a.page.evaluate(() => {
      window.__seen = [];
      const snap = () =>
        window.__seen.push({
          gold: document.getElementById("gold").textContent,
          shovels: document.getElementById("shovels").textContent,
        });
      new MutationObserver(snap).observe(document.querySelector(".stats"), {
        subtree: true,
        childList: true,
        characterData: true,
      });
    });

    // A clicks the gold 12 times
    for (let i = 0; i < 12; i++) await a.page.click("#click");
    await waitForText(a.page, "#gold", "12", { exact: true });
    await waitForText(a.page, "#message", "I see you clicking that gold", { exact: true });
    assert.equal(await textOf(a.page, "#rate"), "0");

    // A buys a shovel: 10 gold less, one shovel, 1 gold per second
    await a.page.click("#buy-shovel");
    await waitForText(a.page, "#shovels", "1", { exact: true });
    const seen = await a.page.evaluate(() => window.__seen);
    const firstWithShovel = seen.find((s) => s.shovels === "1");
    assert.equal(firstWithShovel.gold, "2", `gold right after buying a shovel (12 - 10); states seen: ${JSON.stringify(seen)}`);
    await waitForText(a.page, "#rate", "1", { exact: true });

    // B saw nothing of A: still no gold, no shovel, and never A's name
    assert.equal(await textOf(b.page, "#gold"), "0", "B's gold is untouched by A's clicks");
    assert.equal(await textOf(b.page, "#shovels"), "0");
    await expectNeverText(b.page, "body", "Ann", 300, "B's page must not show A");
    assert.equal(await textOf(b.page, "#message"), "", "B got no message meant for A");

    // A's gold now grows by itself: the server pushes a state every second
    const g0 = await num(a.page, "#gold");
    await waitForText(a.page, "#gold", (text) => Number(text) >= g0 + 2, {
      timeout: 4_500,
      what: `gold >= ${g0 + 2} (1 gold per second from the shovel)`,
    });

    // an excavator costs 100: refused, and nothing changes
    await a.page.click("#buy-excavator");
    await waitForText(a.page, "#message", /not enough gold/i, { what: "the refusal (Not enough gold ...)" });
    assert.match(await textOf(a.page, "#message"), /excavator/i, "the refusal names the excavator");
    assert.equal(await textOf(a.page, "#excavators"), "0");
    assert.equal(await textOf(a.page, "#shovels"), "1");

    // B still at zero after all that (B's own state pushes keep coming: gold stays 0)
    await sleep(200);
    assert.equal(await textOf(b.page, "#gold"), "0");
    assert.equal(await textOf(b.page, "#rate"), "0");

    assertNoProblems(a.page, b.page);
    await screenshot(a.page, "clicker");
  });
});
