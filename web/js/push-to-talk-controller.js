// Push-to-talk: the microphone button records one question (tap, speak, tap
// again or just stop talking; Escape cancels), sends it as the voice
// channel's "question" mode and shows what came back. A refusal ("I didn't
// catch that") is shown and spoken.
//
// Events: "recording" (detail: {on}; hands-free listening steps aside) and
// "routinestarted" (a stretch started by voice: it goes on hands-free).

import { microphoneAvailable, microphoneProblem } from "./microphone.js";
import { PushToTalk, recorderSupported } from "./recorder.js";
import { HEARD, MODES, NOT_SENT, NOT_SENT_TEXT, outcome, sendRecording } from "./voice.js";

export class PushToTalkController extends EventTarget {
  constructor({ button, status, sessionId, chat, speech, routine, banner }) {
    super();
    this.button = button;
    this.status = status;
    this.sessionId = sessionId;
    this.chat = chat;
    this.speech = speech;
    this.routine = routine;
    this.banner = banner;
    this.recorder = new PushToTalk({ onLevel: (level) => button.style.setProperty("--level", String(level)) });
    button.addEventListener("click", () => {
      speech.unblock();
      this.record();
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.recorder.recording) this.recorder.cancel();
    });
    if (!microphoneAvailable()) {
      button.disabled = true;
      button.title = microphoneProblem(null);
    }
  }

  async record() {
    const button = this.button;
    if (this.recorder.recording) {
      this.recorder.stop();
      return;
    }
    if (!microphoneAvailable() || !recorderSupported()) {
      this.banner.show(microphoneProblem(null));
      return;
    }
    this.speech.stop();
    this.#recording(true);
    button.setAttribute("aria-pressed", "true");
    button.setAttribute("aria-label", "Stop recording and send");
    this.#announce("Listening. Speak now; tap again to send.");
    try {
      const recording = await this.recorder.record();
      if (!recording) {
        this.#announce("Recording cancelled.");
        return;
      }
      button.dataset.state = "sending";
      this.#announce("Sending your question.");
      this.chat.setTyping(true);
      const result = await sendRecording(recording.blob, { sender: this.sessionId, mode: MODES.question });
      this.chat.setTyping(false);
      this.#show(result);
    } catch (error) {
      this.banner.show(microphoneProblem(error));
    } finally {
      button.setAttribute("aria-pressed", "false");
      button.setAttribute("aria-label", "Ask by voice");
      delete button.dataset.state;
      this.#recording(false);
    }
  }

  #show(result) {
    const kind = outcome(result);
    if (kind === HEARD) {
      const wasActive = this.routine.active;
      this.chat.showVoiceReply(result);
      if (!wasActive && this.routine.active) this.dispatchEvent(new CustomEvent("routinestarted"));
    } else if (kind === NOT_SENT) {
      this.chat.notice({ text: NOT_SENT_TEXT });
    } else {
      // refused ("I didn't catch that"): shown and spoken
      for (const message of result.messages) {
        this.chat.notice(message);
        if (message.audio_url) this.speech.play(message.audio_url);
      }
    }
  }

  #recording(on) {
    this.dispatchEvent(new CustomEvent("recording", { detail: { on } }));
  }

  #announce(text) {
    this.status.textContent = text;
  }
}
