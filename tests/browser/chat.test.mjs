// chat: three people in three browser profiles, two rooms, and the /user presence list.
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
} from "./harness.mjs";

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

async function joinRoom(person, url, name, room) {
  const { page } = person;
  await page.goto(url + "/");
  await waitForText(page, "#connection", "Connected", { exact: true });
  await page.fill("#name", name);
  await page.fill("#room", room);
  await page.click("#join");
  // everyone in the room, the newcomer included, sees the announcement
  await waitForText(page, "#messages", `${name} has entered the room.`);
}

/** The lines of a list as a person reads them. */
async function lines(page, selector) {
  return (await page.locator(`${selector} > li`).allInnerTexts()).map((s) => s.trim());
}

test("rooms keep conversations apart; /user announces newcomers", { timeout: 40_000 }, async (t) => {
  const server = await startServer("chat", { t });
  await withDiagnostics(server, async () => {
    const alice = await newPerson(browser, { name: "Alice" });
    const bob = await newPerson(browser, { name: "Bob" });
    const carol = await newPerson(browser, { name: "Carol" });
    for (const p of [alice, bob, carol]) t.after(() => p.context.close());

    await expectClientBundle(alice.page, server.url, 4);
    await joinRoom(alice, server.url, "Alice", "lobby");
    await waitForText(alice.page, "#seen-by", /^Seen by \d+$/, { what: '"Seen by N"' });
    await joinRoom(bob, server.url, "Bob", "lobby");
    await joinRoom(carol, server.url, "Carol", "games");

    // each page's plain send() on connect reached the server's `message` handler
    const received = 'received message: {"data":"Connected to the server"}';
    for (let i = 0; i < 100 && server.output.split(received).length - 1 < 3; i++) await sleep(50);
    assert.equal(server.output.split(received).length - 1, 3, "one plain message per page");

    // announcements reach the room only
    await waitForText(alice.page, "#messages", "Bob has entered the room.");
    await expectNeverText(carol.page, "#messages", "Alice", 200, "Carol is in another room");

    // Alice types a message and presses Enter
    await alice.page.fill("#text", "hello lobby");
    await alice.page.press("#text", "Enter");
    await waitForText(bob.page, "#messages", "Alice: hello lobby");
    await waitForText(alice.page, "#messages", "Alice: hello lobby");
    // the sender's name is shown in bold
    assert.equal(await textOf(bob.page, "#messages li:last-child b"), "Alice");
    assert.equal(await alice.page.inputValue("#text"), "", "the input is cleared after sending");

    // Carol talks in "games" (clicking Send): Carol sees her line, nobody in the lobby does
    await carol.page.fill("#text", "anyone for chess?");
    await carol.page.click("#send");
    await waitForText(carol.page, "#messages", "Carol: anyone for chess?");
    await expectNeverText(carol.page, "#messages", "hello lobby", 300, "Alice's message was for the lobby");
    await expectNeverText(alice.page, "#messages", "chess", 100, "Carol's message was for games");
    await expectNeverText(bob.page, "#messages", "chess", 100, "Carol's message was for games");

    // Bob answers with the button
    await bob.page.fill("#text", "hi Alice");
    await bob.page.click("#send");
    await waitForText(alice.page, "#messages", "Bob: hi Alice");

    // announcements look muted, chat lines do not
    const note = alice.page.locator("#messages li", { hasText: "Bob has entered the room." });
    const chatLine = alice.page.locator("#messages li", { hasText: "Alice: hello lobby" });
    const color = (loc) => loc.evaluate((el) => getComputedStyle(el).color);
    assert.notEqual(await color(note), await color(chatLine), "announcements are styled apart from chat lines");

    // /user: everyone who came later shows up in Alice's list, and everyone already online
    // in Carol's, who came last; each newcomer is seen
    await waitForText(alice.page, "#users", "Bob");
    await waitForText(alice.page, "#users", "Carol");
    await waitForText(bob.page, "#users", "Carol");
    await waitForText(carol.page, "#users", "Alice");
    await waitForText(carol.page, "#users", "Bob");
    await waitForText(bob.page, "#users", "Alice");
    const aliceSeen = await textOf(alice.page, "#seen-by");
    assert.ok(Number(aliceSeen.replace("Seen by ", "")) >= 1, `Alice: ${aliceSeen}`);
    // Carol arrived while all three pages were open: all three acknowledged her
    await waitForText(carol.page, "#seen-by", "Seen by 3", { exact: true });
    await waitForText(bob.page, "#seen-by", /^Seen by [23]$/, { what: '"Seen by 2" or "Seen by 3"' });

    // Bob leaves: Alice (and Bob) see it, and Bob no longer gets lobby messages
    await bob.page.click("#leave");
    await waitForText(alice.page, "#messages", "Bob has left the room.");
    await waitForText(bob.page, "#messages", "Bob has left the room.");
    assert.ok(await bob.page.isDisabled("#send"), "Bob cannot send once out of the room");
    await alice.page.fill("#text", "bye Bob");
    await alice.page.press("#text", "Enter");
    await waitForText(alice.page, "#messages", "Alice: bye Bob");
    await expectNeverText(bob.page, "#messages", "bye Bob", 300, "Bob left the lobby");
    await expectNeverText(carol.page, "#messages", "Bob has left", 100, "Carol is in another room");

    // the whole conversation as Alice saw it, in order
    const seen = await lines(alice.page, "#messages");
    assert.deepEqual(seen, [
      "Alice has entered the room.",
      "Bob has entered the room.",
      "Alice: hello lobby",
      "Bob: hi Alice",
      "Bob has left the room.",
      "Alice: bye Bob",
    ]);

    assertNoProblems(alice.page, bob.page, carol.page);
    await screenshot(alice.page, "chat");
  });
});

test("a page whose network drops comes back in its room with the messages it missed", { timeout: 40_000 }, async (t) => {
  const server = await startServer("chat", { t });
  await withDiagnostics(server, async () => {
    const alice = await newPerson(browser, { name: "Alice" });
    const bob = await newPerson(browser, { name: "Bob" });
    for (const p of [alice, bob]) t.after(() => p.context.close());
    await joinRoom(alice, server.url, "Alice", "lobby");
    await joinRoom(bob, server.url, "Bob", "lobby");
    await waitForText(alice.page, "#messages", "Bob has entered the room.");
    assertNoProblems(alice.page, bob.page);

    // Alice's network goes away; Bob keeps talking.
    await alice.context.setOffline(true);
    await waitForText(alice.page, "#connection", "Disconnected", { exact: true });
    for (const text of ["are you there?", "you missed this", "and this"]) {
      await bob.page.fill("#text", text);
      await bob.page.press("#text", "Enter");
      await waitForText(bob.page, "#messages", `Bob: ${text}`);
    }
    await screenshot(alice.page, "chat-offline");

    // Back online: the same socket, still in the lobby, with every missed line, once.
    await alice.context.setOffline(false);
    await waitForText(alice.page, "#connection", "Connected", { exact: true, timeout: 10_000 });
    await waitForText(alice.page, "#messages", "Bob: and this");
    await alice.page.fill("#text", "back!");
    await alice.page.press("#text", "Enter");
    await waitForText(bob.page, "#messages", "Alice: back!", { what: "Alice's name is still known to the server" });
    await waitForText(alice.page, "#messages", "Alice: back!");
    assert.deepEqual(await lines(alice.page, "#messages"), [
      "Alice has entered the room.",
      "Bob has entered the room.",
      "Reconnected: back in the room, with what you missed.",
      "Bob: are you there?",
      "Bob: you missed this",
      "Bob: and this",
      "Alice: back!",
    ]);
    assert.ok(
      !(await lines(bob.page, "#messages")).includes("Alice has entered the room."),
      "Alice did not have to join again",
    );
    await screenshot(alice.page, "chat-recovered");
  });
});
