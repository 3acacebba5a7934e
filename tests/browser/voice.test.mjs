// Voice in a real browser: Chromium's fake microphone plays a WAV that piper
// (the neural voice) or espeak-ng speaks at test time. Push-to-talk asks a
// question; a stretch started by voice is followed hands-free, by voice alone;
// a command is heard through a noisy room; pain is never dropped.

import assert from "node:assert/strict";
import { test } from "node:test";
import { botTexts, launch, openWidget, screenshot, send, speechWav, waitForBot } from "./helpers.mjs";

async function widgetWithMicrophone(wav) {
  const { browser, context } = await launch({ microphone: wav });
  const page = await openWidget(context);
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.locator('#connection[data-state="online"]').waitFor({ timeout: 30000 });
  return { browser, page };
}

test("a question asked by voice gets the right answer", async () => {
  const wav = speechWav("question", [1, "how do i stretch my psoas", 4], { voice: "piper" });
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
  const wav = speechWav("hands-free", [1, "start the routine", 28, "pause", 9, "resume", 9, "stop", 6], {
    voice: "piper",
  });
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

test("pain said hands-free mid-hold is acted upon, never 'didn't catch that'", async () => {
  // the coach is muted, so all that is heard goes as hands-free (nothing over
  // its voice). Heard surely, pain stops the stretch with the safety answer;
  // heard with doubt, it pauses and the coach checks in (the server's tests
  // pin each path; here the browser's recording decides which)
  const wav = speechWav("pain", [2, "ouch that hurts", 8], { voice: "en-us", speed: 160 });
  const { browser, page } = await widgetWithMicrophone(wav);
  try {
    await page.click("#speaker-toggle");
    assert.equal(await page.getAttribute("#speaker-toggle", "aria-pressed"), "false");
    await send(page, "start the routine");
    await page.waitForFunction(() => window.psoasCoach.routine?.status === "running", null, { timeout: 30000 });
    await page.click("#hands-free-toggle");
    await page.waitForFunction(() => window.psoasCoach.voiceLog.length > 0, null, { timeout: 40000 });
    const [entry, ...more] = await page.evaluate(() => window.psoasCoach.voiceLog);
    assert.equal(more.length, 0, JSON.stringify(more));
    assert.equal(entry.mode, "hands_free");
    assert.equal(entry.status, "ok", JSON.stringify(entry));
    assert.match(entry.transcript, /hurts/);
    await page.waitForFunction(() => ["paused", "stopped"].includes(window.psoasCoach.routine?.status), null, {
      timeout: 10000,
    });
    const status = await page.evaluate(() => window.psoasCoach.routine.status);
    console.log(`pain heard as "${entry.transcript}": routine ${status}; coach said: ${(await botTexts(page)).slice(-3).join(" | ")}`);
    await waitForBot(page, status === "paused" ? "sounded like something hurts" : "pain is not");
    const said = page.locator("li.message.user", { hasText: "said by voice" });
    assert.match(await said.last().innerText(), /hurts/);
    await screenshot(page, "hands-free-pain");
  } finally {
    await browser.close();
  }
});

test("a hands-free command is heard through a noisy room", async () => {
  // pink noise about 14 dB below the voice for the whole recording, as a fan
  // or traffic; the coach is muted, so the command goes as hands-free
  const wav = speechWav("noisy-pause", [2, "pause", 8], { voice: "piper", noise: 0.25 });
  const { browser, page } = await widgetWithMicrophone(wav);
  try {
    await page.click("#speaker-toggle");
    await send(page, "start the routine");
    await page.waitForFunction(() => window.psoasCoach.routine?.status === "running", null, { timeout: 30000 });
    await page.click("#hands-free-toggle");
    await page.waitForFunction(() => window.psoasCoach.routine?.status === "paused", null, { timeout: 40000 });
    const log = await page.evaluate(() => window.psoasCoach.voiceLog);
    const acted = log.filter((entry) => entry.status === "ok");
    assert.equal(acted.length, 1, JSON.stringify(log));
    assert.match(acted[0].transcript, /pause/);
    await screenshot(page, "hands-free-noisy-pause");
  } finally {
    await browser.close();
  }
});
