// Voice in a real browser: Chromium's fake microphone plays a WAV that
// espeak-ng speaks at test time. Push-to-talk asks a question; a stretch
// started by voice is followed hands-free, by voice alone.

import assert from "node:assert/strict";
import { test } from "node:test";
import { launch, openWidget, screenshot, speechWav, waitForBot } from "./helpers.mjs";

async function widgetWithMicrophone(wav) {
  const { browser, context } = await launch({ microphone: wav });
  const page = await openWidget(context);
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.locator('#connection[data-state="online"]').waitFor({ timeout: 30000 });
  return { browser, page };
}

test("a question asked by voice gets the right answer", async () => {
  const wav = speechWav("question", [1, "how do i stretch my psoas", 4]);
  const { browser, page } = await widgetWithMicrophone(wav);
  try {
    await page.click("#mic-button");
    assert.equal(await page.getAttribute("#mic-button", "aria-pressed"), "true");
    const said = page.locator("li.message.user", { hasText: "said by voice" });
    await said.waitFor({ timeout: 30000 });
    assert.match(await said.innerText(), /how do i stretch my psoas/);
    await waitForBot(page, "right side first");
    await screenshot(page, "voice-question");
    assert.equal(await page.getAttribute("#mic-button", "aria-pressed"), "false");
  } finally {
    await browser.close();
  }
});

test("noise into the microphone gets 'I didn't catch that', never a guess", async () => {
  const wav = speechWav("mumble", [1, "brrr mmm hmm", 4], { speed: 320 });
  const { browser, page } = await widgetWithMicrophone(wav);
  try {
    await page.click("#mic-button");
    await waitForBot(page, "didn't catch that", 30000);
    assert.equal(await page.locator("li.message.user").count(), 0, "nothing reached the conversation");
  } finally {
    await browser.close();
  }
});

test("a stretch started by voice is followed hands-free, by voice alone", async () => {
  // one tap on the microphone, then only the voice: the coach's own replies
  // play meanwhile, so "pause" may come as a barge-in over them
  const wav = speechWav("hands-free", [1, "start the routine", 28, "pause", 9, "resume", 9, "stop", 6]);
  const { browser, page } = await widgetWithMicrophone(wav);
  const status = () => page.evaluate(() => window.psoasCoach.routine?.status);
  try {
    await page.click("#mic-button");
    await page.locator("#routine").waitFor({ state: "visible", timeout: 40000 });
    // started by voice: hands-free switches itself on
    await page.locator('#hands-free-toggle[aria-pressed="true"]').waitFor({ timeout: 20000 });
    await page.waitForFunction(() => window.psoasCoach.routine?.hold_seconds > 0, null, { timeout: 40000 });
    await screenshot(page, "hands-free-hold");

    await page.waitForFunction(() => window.psoasCoach.routine?.status === "paused", null, { timeout: 60000 });
    const frozen = await page.innerText("#countdown-value");
    await page.waitForTimeout(2000);
    assert.equal(await page.innerText("#countdown-value"), frozen, "paused by voice: the countdown stands still");
    await screenshot(page, "hands-free-paused");

    await page.waitForFunction(() => window.psoasCoach.routine?.status === "running", null, { timeout: 30000 });
    await page.waitForFunction(() => ["stopped", "finished"].includes(window.psoasCoach.routine?.status), null, {
      timeout: 40000,
    });
    assert.equal(await status(), "stopped");
    await page.locator("#routine").waitFor({ state: "hidden" });
    // every command was heard, shown as said by voice, and nothing was typed
    const said = await page.locator("li.message.user").allInnerTexts();
    assert.ok(said.every((text) => text.includes("said by voice")), said.join(" | "));
    assert.ok(said.some((text) => /pause/.test(text)) && said.some((text) => /resume/.test(text)), said.join(" | "));
    assert.equal(await page.getAttribute("#hands-free-toggle", "aria-pressed"), "false", "listening ends with the stretch");
    // no echo loop: over the coach's voice only stop, pause and pain words act
    const log = await page.evaluate(() => window.psoasCoach.voiceLog);
    const overTheCoach = log.filter((entry) => entry.mode === "barge_in" && entry.status === "ok");
    assert.ok(overTheCoach.every((entry) => /\b(stop|pause|wait|hold on|ouch|hurts)\b/.test(entry.transcript)), JSON.stringify(log));
  } finally {
    await browser.close();
  }
});
