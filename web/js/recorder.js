// Push-to-talk: MediaRecorder, so it works in every modern browser (WebM/Opus
// in Chrome and Firefox, MP4/AAC in Safari; the server converts them). Tap to
// start; it stops by itself after you stop talking (or on a second tap, or at
// MAX_MS), then resolves with the recording. Escape or cancel() drops it.

import { getStream, levelMeter } from "./microphone.js";

const MAX_MS = 12000; // the server refuses over 15 s
const NO_SPEECH_MS = 6000; // nothing said by then: give up
const SILENCE_AFTER_SPEECH_MS = 1200;
const SPEECH_LEVEL = 0.02;

const TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4", "audio/webm"];

export function recorderSupported() {
  return typeof window.MediaRecorder === "function";
}

export class PushToTalk {
  constructor({ onLevel } = {}) {
    this.onLevel = onLevel || (() => {});
    this.active = null;
  }

  get recording() {
    return Boolean(this.active);
  }

  // Resolves with {blob, heardSpeech} or null when cancelled.
  async record() {
    if (this.active) return null;
    const stream = await getStream();
    const type = TYPES.find((t) => window.MediaRecorder.isTypeSupported?.(t)) || "";
    const recorder = new window.MediaRecorder(stream, type ? { mimeType: type } : undefined);
    const meter = levelMeter(stream);
    const chunks = [];
    const started = performance.now();
    let heardAt = null;
    let quietSince = null;
    let cancelled = false;

    return new Promise((resolve, reject) => {
      const tick = window.setInterval(() => {
        const level = meter.level();
        this.onLevel(level);
        const now = performance.now();
        if (level > SPEECH_LEVEL) {
          heardAt = heardAt ?? now;
          quietSince = null;
        } else if (heardAt !== null) {
          quietSince = quietSince ?? now;
        }
        const elapsed = now - started;
        if (
          elapsed > MAX_MS ||
          (heardAt === null && elapsed > NO_SPEECH_MS) ||
          (quietSince !== null && now - quietSince > SILENCE_AFTER_SPEECH_MS)
        ) {
          this.stop();
        }
      }, 50);

      recorder.addEventListener("dataavailable", (event) => {
        if (event.data && event.data.size) chunks.push(event.data);
      });
      recorder.addEventListener("stop", () => {
        window.clearInterval(tick);
        meter.close();
        this.onLevel(0);
        this.active = null;
        if (cancelled) return resolve(null);
        const blob = new Blob(chunks, { type: recorder.mimeType || type || "audio/webm" });
        resolve({ blob, heardSpeech: heardAt !== null });
      });
      recorder.addEventListener("error", (event) => {
        window.clearInterval(tick);
        meter.close();
        this.active = null;
        reject(event.error || new Error("recording failed"));
      });

      this.active = {
        recorder,
        cancel: () => {
          cancelled = true;
        },
      };
      recorder.start(250);
    });
  }

  stop() {
    if (this.active && this.active.recorder.state !== "inactive") this.active.recorder.stop();
  }

  cancel() {
    if (this.active) {
      this.active.cancel();
      this.stop();
    }
  }
}
