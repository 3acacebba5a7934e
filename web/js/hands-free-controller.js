// Hands-free listening during a guided stretch: the toggle, the status line
// and level meter, the HandsFreeListener's results (acted upon quietly: in
// this mode noise never makes the coach talk), and turning it back on for a
// routine when the person used it before and the browser already allows the
// microphone (never a surprise permission prompt).

import { HandsFreeListener } from "./listener.js";
import { microphoneAvailable, microphoneProblem } from "./microphone.js";
import { HEARD, NOT_SENT, NOT_SENT_TEXT, outcome } from "./voice.js";

const HINTS = {
  listening: "Listening. Say “pause”, “next”, “how long left” or “stop”.",
  hearing: "Hearing you…",
  sending: "Got it, one moment…",
  off: "Say “pause”, “next” or “stop” without touching the screen.",
};

export class HandsFreeController {
  constructor({ elements, sessionId, chat, speech, routine, store }) {
    this.el = elements; // {toggle, label, status, level}
    this.sessionId = sessionId;
    this.chat = chat;
    this.speech = speech;
    this.routine = routine;
    this.store = store;
    this.listener = null;
    this.log = []; // exchanges: {mode, status, transcript}
    elements.toggle.addEventListener("click", () => {
      speech.unblock();
      if (this.running) this.stop({ remember: false });
      else this.start();
    });
    routine.addEventListener("ended", () => this.stop());
    this.#render();
  }

  get running() {
    return Boolean(this.listener && this.listener.running);
  }

  get state() {
    return this.listener ? this.listener.state : "off";
  }

  async start() {
    if (this.running) return;
    if (!microphoneAvailable()) {
      this.#status(microphoneProblem(null));
      return;
    }
    const listener = new HandsFreeListener({
      sender: this.sessionId,
      isCoachSpeaking: () => this.speech.speaking,
      onDuck: (on) => this.speech.duck(on),
    });
    this.listener = listener;
    listener.addEventListener("state", (event) => {
      const state = event.detail.state;
      document.body.dataset.listening = state;
      if (HINTS[state]) this.#status(HINTS[state]);
      this.#render();
    });
    listener.addEventListener("level", (event) => {
      this.el.level.value = Math.min(1, event.detail.level * 8);
    });
    listener.addEventListener("result", (event) => {
      const { result, mode } = event.detail;
      this.log.push({ mode, status: result.status, transcript: result.transcript || "" });
      if (this.#show(result)) this.#status(`Heard: “${result.transcript}”`);
    });
    try {
      await listener.start();
      this.store.setPreference("handsFree", true);
    } catch (error) {
      this.listener = null;
      this.#status(microphoneProblem(error));
    }
    this.#render();
  }

  stop({ remember = true } = {}) {
    if (this.listener) this.listener.stop();
    this.listener = null;
    if (!remember) this.store.setPreference("handsFree", false);
    this.#render();
  }

  // While push-to-talk records, hands-free steps aside.
  suspend(suspended) {
    this.listener?.suspend(suspended);
  }

  // From now on, resume listening whenever a routine shows (and now, if one does).
  watch() {
    const observer = new MutationObserver(() => {
      if (this.routine.active) this.#maybeResume();
    });
    observer.observe(this.routine.root, { attributes: true, attributeFilter: ["hidden"] });
    this.#maybeResume();
  }

  async #maybeResume() {
    if (!this.store.preference("handsFree", false) || !this.routine.active) return;
    try {
      const permission = await navigator.permissions?.query({ name: "microphone" });
      if (permission && permission.state === "granted") this.start();
    } catch {
      // the Permissions API does not know "microphone" in every browser
    }
  }

  // true when the result was acted upon
  #show(result) {
    const kind = outcome(result);
    if (kind === HEARD) {
      this.chat.showVoiceReply(result);
      return true;
    }
    // only a quiet hint, never the spoken "I didn't catch that"
    this.#status(kind === NOT_SENT ? NOT_SENT_TEXT : "Didn't catch that. Say it again?");
    return false;
  }

  #status(text) {
    this.el.status.textContent = text;
  }

  #render() {
    const on = this.running;
    this.el.toggle.setAttribute("aria-pressed", String(on));
    this.el.label.textContent = on ? "Hands-free: on" : "Hands-free: off";
    this.el.level.hidden = !on;
    document.body.dataset.handsFree = String(on);
  }
}
