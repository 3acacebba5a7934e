// The web widget in a real browser against the real stack: typed chat,
// Markdown, quick replies, spoken replies, the routine panel, a reload in the
// middle of a routine, a server that cannot be reached, accessibility basics.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { WIDGET_URL, botTexts, fetchStatus, launch, openWidget, screenshot, send, waitForBot } from "./helpers.mjs";

let browser;
let context;

before(async () => {
  ({ browser, context } = await launch());
});

after(async () => {
  await browser?.close();
});

async function freshPage() {
  const page = await openWidget(context);
  // every test is its own conversation
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.locator('#connection[data-state="online"]').waitFor({ timeout: 30000 });
  return page;
}

describe("chat", () => {
  test("a typed question gets its answer, in Markdown, with audio", async () => {
    const page = await freshPage();
    await send(page, "how do I stretch my psoas");
    await page.locator("li.message.user", { hasText: "how do I stretch my psoas" }).waitFor();
    await waitForBot(page, "right side first");
    const answer = page.locator("li.message.bot", { hasText: "right side first" });
    assert.ok((await answer.locator("ol > li").count()) >= 3, "the steps are a numbered list");
    assert.ok((await answer.locator("strong").count()) >= 1, "bold text is bold, not asterisks");
    assert.ok(!(await answer.innerText()).includes("**"));
    const audio = await answer.getAttribute("data-audio");
    assert.match(audio, /^\/webhooks\/audio\/files\/[0-9a-f]{64}\.(wav|mp3)$/);
    const served = await fetchStatus(audio);
    assert.equal(served.status, 200);
    assert.match(served.type, /^audio\//);
    // the spoken reply went to the audio element
    await page.waitForFunction(() => window.psoasCoach.played.length > 0);
    assert.ok((await page.getAttribute("#coach-audio", "src")).includes("/webhooks/audio/files/"));
    await screenshot(page, "chat-answer");
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  test("delete my conversation: asked, confirmed, and the page forgets it too", async () => {
    const page = await freshPage();
    await send(page, "how do I stretch my psoas");
    await waitForBot(page, "right side first");
    await send(page, "delete my conversation");
    const yes = page.locator(".quick-reply", { hasText: "Yes, delete it" });
    await yes.waitFor({ timeout: 30000 });
    await yes.click();
    await waitForBot(page, "deleted this conversation");
    assert.equal(await page.locator("li.message", { hasText: "right side first" }).count(), 0);
    await page.reload();
    await waitForBot(page, "deleted this conversation");
    assert.equal(await page.locator("li.message", { hasText: "right side first" }).count(), 0, "not kept for a reload");
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  test("quick replies send their payload and go away", async () => {
    const page = await freshPage();
    await send(page, "hello");
    const reply = page.locator(".quick-reply", { hasText: "How do I stretch it?" });
    await reply.waitFor({ timeout: 30000 });
    await screenshot(page, "chat-quick-replies");
    await reply.click();
    await page.locator("li.message.user", { hasText: "How do I stretch it?" }).waitFor();
    await waitForBot(page, "right side first");
    assert.equal(await page.locator(".quick-reply", { hasText: "How do I stretch it?" }).count(), 0);
    await page.close();
  });

  test("text from the server is never markup", async () => {
    const page = await freshPage();
    await send(page, "<img src=x onerror=alert(1)> what is the psoas");
    await page.locator("li.message.user", { hasText: "<img src=x" }).waitFor();
    await waitForBot(page, "psoas");
    assert.equal(await page.locator("#messages img").count(), 0);
    await page.close();
  });

  test("an unreachable server is shown plainly, and nothing typed is lost", async () => {
    let blocked = true;
    const page = await context.newPage();
    await page.routeWebSocket(/\/socket\.io\//, (ws) => (blocked ? ws.close() : ws.connectToServer()));
    await page.route(/\/socket\.io\//, (route) => (blocked ? route.abort() : route.continue()));
    await page.goto(WIDGET_URL);
    await page.evaluate(() => localStorage.clear());
    await page.reload();
    const banner = page.locator("#banner");
    await banner.waitFor({ state: "visible", timeout: 30000 });
    assert.match(await banner.innerText(), /reach the coach|connection/i);
    assert.equal(await page.getAttribute("#connection", "data-state"), "offline");
    await send(page, "what is the psoas");
    await page.locator("li.message.user.pending", { hasText: "what is the psoas" }).waitFor();
    await screenshot(page, "offline");
    blocked = false;
    await page.locator('#connection[data-state="online"]').waitFor({ timeout: 30000 });
    await banner.waitFor({ state: "hidden" });
    // the message typed while offline went out once the coach was back
    await waitForBot(page, "muscle", 30000);
    assert.equal(await page.locator("li.message.user.pending").count(), 0);
    await page.close();
  });

  test("keyboard, labels, live region and tap targets", async () => {
    const page = await freshPage();
    assert.equal(await page.getAttribute("#messages", "role"), "log");
    assert.equal(await page.getAttribute("#messages", "aria-live"), "polite");
    const unnamed = await page.$$eval("button", (buttons) =>
      buttons
        .filter((b) => b.offsetParent !== null)
        .filter((b) => !(b.getAttribute("aria-label") || b.innerText.trim()))
        .map((b) => b.outerHTML.slice(0, 80)),
    );
    assert.deepEqual(unnamed, [], "every visible button has a name");
    const small = await page.$$eval("button", (buttons) =>
      buttons
        .filter((b) => b.offsetParent !== null)
        .map((b) => ({ id: b.id || b.className, ...b.getBoundingClientRect().toJSON() }))
        .filter((r) => r.width < 44 || r.height < 44)
        .map((r) => r.id),
    );
    assert.deepEqual(small, [], "tap targets are at least 44 px");
    // keyboard only: focus the box, type, Enter sends
    await page.focus("#message-input");
    await page.keyboard.type("what does the psoas do");
    await page.keyboard.press("Enter");
    await waitForBot(page, "psoas");
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.id), "mic-button");
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.id), "send-button");
    // the speaker toggle is a real toggle
    await page.click("#speaker-toggle");
    assert.equal(await page.getAttribute("#speaker-toggle", "aria-pressed"), "false");
    await page.click("#speaker-toggle");
    assert.equal(await page.getAttribute("#speaker-toggle", "aria-pressed"), "true");
    await page.close();
  });
});

describe("guided stretch", () => {
  async function intoHold(page, seconds) {
    await send(page, `make it ${seconds} seconds`);
    await waitForBot(page, `${seconds} seconds`);
    await send(page, "guide me through the psoas stretch");
    await page.locator("#routine").waitFor({ state: "visible", timeout: 30000 });
    await page.click("#control-next");
    await page.waitForFunction(() => window.psoasCoach.routine?.hold_seconds > 0, null, { timeout: 30000 });
  }

  const remaining = (page) => page.evaluate(() => window.psoasCoach.remaining);

  test("the countdown moves, cues arrive on time and their audio plays", async () => {
    const page = await freshPage();
    await intoHold(page, 12);
    assert.match(await page.innerText("#routine-step"), /Step 2 of 3 · Right side/);
    assert.ok((await page.innerText("#routine-instruction")).length > 10);
    const first = await remaining(page);
    await page.waitForTimeout(2000);
    const later = await remaining(page);
    assert.ok(first - later > 1.5 && first - later < 2.8, `counted down ${first} -> ${later}`);
    assert.match(await page.innerText("#countdown-value"), /^0:(0\d|1[0-2])$/);
    await screenshot(page, "routine-hold");
    // the release cue comes from the server's timer, over socket.io
    await waitForBot(page, "release", 30000);
    await page.waitForFunction(() => window.psoasCoach.routine?.side === "left", null, { timeout: 30000 });
    const played = await page.evaluate(() => window.psoasCoach.played);
    assert.ok(played.length >= 3, `audio played: ${played.length}`);
    for (const url of played.slice(0, 3)) assert.equal((await fetchStatus(url)).status, 200);
    await page.close();
  });

  test("pause freezes the countdown and resume carries on", async () => {
    const page = await freshPage();
    await intoHold(page, 30);
    await page.click("#control-pause");
    await page.waitForFunction(() => window.psoasCoach.routine?.status === "paused", null, { timeout: 30000 });
    assert.equal(await page.innerText("#control-pause"), "Resume");
    assert.equal(await page.innerText("#countdown-label"), "Paused");
    const frozen = await page.innerText("#countdown-value");
    await page.waitForTimeout(2000);
    assert.equal(await page.innerText("#countdown-value"), frozen);
    await screenshot(page, "routine-paused");
    await page.click("#control-pause");
    await page.waitForFunction(() => window.psoasCoach.routine?.status === "running", null, { timeout: 30000 });
    await page.click("#control-stop");
    await page.locator("#routine").waitFor({ state: "hidden", timeout: 30000 });
    await page.close();
  });

  test("a reload in the middle of a hold keeps the conversation and the routine", async () => {
    const page = await freshPage();
    await intoHold(page, 25);
    const before = (await botTexts(page)).length;
    await page.waitForTimeout(2000);
    await page.reload();
    await page.locator('#connection[data-state="online"]').waitFor({ timeout: 30000 });
    // the conversation is still on screen...
    assert.ok((await botTexts(page)).length >= before);
    // ...and the routine continues where it was, with the time left
    await waitForBot(page, "seconds left", 30000);
    await page.locator("#routine").waitFor({ state: "visible" });
    const left = await remaining(page);
    assert.ok(left > 5 && left < 24, `time left after reload: ${left}`);
    await screenshot(page, "routine-after-reload");
    await waitForBot(page, "release", 40000);
    await page.close();
  });
});
