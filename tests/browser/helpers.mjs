// Shared by the browser tests: Debian's Chromium driven by playwright-core,
// spoken test audio made by espeak-ng or piper at test time, screenshots kept under
// test-output/. The stack (Rasa + action server) is started by the pytest
// wrapper (tests/integration/test_browser.py), which passes its URL.

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, "..", "..");
export const COACH_URL = process.env.COACH_URL || "http://localhost:5005";
export const WIDGET_URL = `${COACH_URL}/coach/`;
export const OUTPUT = process.env.TEST_OUTPUT || path.join(ROOT, "test-output", "browser");
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

mkdirSync(OUTPUT, { recursive: true });
const scratch = mkdtempSync(path.join(tmpdir(), "psoas-browser-"));

const BASE_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--autoplay-policy=no-user-gesture-required",
];

// A browser; with `microphone` (a WAV path), Chromium's fake microphone plays
// that file once, from the moment the page opens the microphone.
export async function launch({ microphone = null } = {}) {
  const args = [...BASE_ARGS];
  if (microphone) {
    args.push(
      "--use-fake-ui-for-media-stream",
      "--use-fake-device-for-media-stream",
      `--use-file-for-fake-audio-capture=${microphone}%noloop`,
    );
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, args });
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true });
  if (microphone) await context.grantPermissions(["microphone"], { origin: new URL(COACH_URL).origin });
  return { browser, context };
}

export async function openWidget(context) {
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  await page.goto(WIDGET_URL);
  await page.locator('#connection[data-state="online"]').waitFor({ timeout: 30000 });
  page.problems = problems;
  return page;
}

export async function screenshot(page, name) {
  await page.screenshot({ path: path.join(OUTPUT, `${name}.png`), fullPage: false });
}

export async function send(page, text) {
  await page.fill("#message-input", text);
  await page.keyboard.press("Enter");
}

export function botTexts(page) {
  return page.locator("li.message.bot").allInnerTexts();
}

// Waits until a coach message containing `fragment` (case-insensitive) shows.
export async function waitForBot(page, fragment, timeout = 30000) {
  const wanted = fragment.toLowerCase();
  await page.waitForFunction(
    (w) => [...document.querySelectorAll("li.message.bot")].some((li) => li.innerText.toLowerCase().includes(w)),
    wanted,
    { timeout },
  );
}

// A WAV for the fake microphone: each part is a sentence or a number of
// seconds of silence. 48 kHz mono 16-bit (a microphone's rate). The voice is
// an espeak-ng voice at `speed`, or "piper" (the neural voice, without its
// random variation: python -m coach.tools.speak). `noise` (0 to 1): pink noise
// over the whole recording at that amplitude, as a room with a fan or traffic
// (0.25 is about 14 dB below piper's speech: a loud room).
const PYTHON = process.env.PYTHON || path.join(process.cwd(), ".venv", "bin", "python");

export function speechWav(name, parts, { voice = "en-us", speed = 150, noise = 0 } = {}) {
  const pieces = [];
  parts.forEach((part, index) => {
    const piece = path.join(scratch, `${name}-${index}.wav`);
    if (typeof part === "number") {
      execFileSync("ffmpeg", ["-loglevel", "error", "-y", "-f", "lavfi", "-t", String(part), "-i", "anullsrc=r=48000:cl=mono", "-c:a", "pcm_s16le", piece]);
    } else {
      const spoken = path.join(scratch, `${name}-${index}-said.wav`);
      execFileSync(PYTHON, ["-m", "coach.tools.speak", "--voice", voice, "--speed", String(speed), "--out", spoken, part]);
      execFileSync("ffmpeg", ["-loglevel", "error", "-y", "-i", spoken, "-ar", "48000", "-ac", "1", "-c:a", "pcm_s16le", piece]);
    }
    pieces.push(piece);
  });
  const list = path.join(scratch, `${name}.txt`);
  execFileSync("sh", ["-c", `printf "file '%s'\\n" ${pieces.map((p) => `'${p}'`).join(" ")} > '${list}'`]);
  const clean = path.join(scratch, `${name}-clean.wav`);
  const out = path.join(scratch, `${name}.wav`);
  execFileSync("ffmpeg", ["-loglevel", "error", "-y", "-f", "concat", "-safe", "0", "-i", list, "-c:a", "pcm_s16le", noise ? clean : out]);
  if (noise) {
    execFileSync("ffmpeg", [
      "-loglevel", "error", "-y", "-i", clean,
      "-f", "lavfi", "-i", `anoisesrc=color=pink:amplitude=${noise}:sample_rate=48000:seed=7`,
      "-filter_complex", "[0:a][1:a]amix=inputs=2:duration=first:normalize=0",
      "-ac", "1", "-c:a", "pcm_s16le", out,
    ]);
  }
  return out;
}

export async function fetchStatus(url) {
  const response = await fetch(new URL(url, COACH_URL));
  return { status: response.status, type: response.headers.get("content-type"), bytes: (await response.arrayBuffer()).byteLength };
}
