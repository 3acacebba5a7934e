// The conversation: the chat view, the composer, the connection's state, and
// every message in and out (shown, stored for a reload, spoken, and a reply's
// routine handed to the routine controller). Typed messages, quick replies and
// the routine's buttons all go out through `send`.

import { ChatView } from "./chat.js";

const WELCOME =
  "Hi! I'm your psoas coach. Ask me about the psoas, stretching, massage or release tools, by typing or with the microphone. Say **“guide me through the psoas stretch”** and I'll time each hold for you.";
const UNANSWERED =
  "The connection dropped before the coach answered your last message. Please send it again once it's back.";
const CONNECTION_WORDS = { online: "Online", connecting: "Connecting…", offline: "Offline" };

export class ChatController {
  constructor({ elements, connection, store, speech, routine, banner }) {
    this.connection = connection;
    this.store = store;
    this.speech = speech;
    this.routine = routine;
    this.banner = banner;
    this.input = elements.input;
    this.view = new ChatView({ list: elements.list, scroller: elements.scroller, typing: elements.typing });

    // messages typed while offline look pending until they have gone out
    connection.addEventListener("sent", () => {
      const waiting = document.querySelector("li.message.user.pending");
      if (waiting) waiting.classList.remove("pending");
    });
    connection.addEventListener("unanswered", () => {
      this.view.setTyping(false);
      this.notice({ text: UNANSWERED });
    });
    connection.addEventListener("message", (event) => {
      this.view.setTyping(false);
      this.showBotMessage(event.detail.message);
    });
    connection.addEventListener("state", (event) => {
      const { state, reason } = event.detail;
      const status = elements.connection;
      status.dataset.state = state;
      status.textContent = CONNECTION_WORDS[state] || state;
      if (state === "offline") banner.show(reason || "Lost the connection to the coach. Reconnecting…");
      if (state === "online") banner.hide();
    });

    this.#composer(elements.composer);
    this.view.addEventListener("quickreply", (event) => this.send(event.detail.payload, event.detail.title));
    this.view.addEventListener("replay", (event) => speech.replay(event.detail.url));
  }

  showBotMessage(message, { speak = true } = {}) {
    if (!message || typeof message !== "object") return;
    if (message.forgotten === true) {
      // the conversation was deleted: so is this browser's copy of it
      this.store.clearMessages();
      this.view.clear();
    }
    if (message.text) {
      this.view.add("bot", message);
      this.store.addMessage({ kind: "bot", text: message.text, audio_url: message.audio_url || null });
    } else if (message.quick_replies || message.buttons) {
      this.view.add("bot", { text: "", quick_replies: message.quick_replies || message.buttons });
    }
    if (speak && message.audio_url) this.speech.play(message.audio_url);
    if (message.routine) this.routine.show(message.routine);
  }

  showUserMessage(text, via = "text") {
    const item = this.view.add("user", { text, via }, { pending: via === "text" && !this.connection.ready });
    this.store.addMessage({ kind: "user", text, via });
    return item;
  }

  // What a recording was heard as, and the coach's replies to it.
  showVoiceReply(result) {
    this.speech.stop(); // interrupted: what was still queued is out of date
    if (result.transcript) this.showUserMessage(result.transcript, "voice");
    for (const message of result.messages) this.showBotMessage(message);
  }

  // A message of the page's own (not stored, not part of the conversation).
  notice(message) {
    this.view.add("bot", message, { notice: true });
  }

  setTyping(on) {
    this.view.setTyping(on);
  }

  send(text, shown = text) {
    const clean = String(text).trim();
    if (!clean) return;
    if (shown) this.showUserMessage(shown);
    // the person has moved on: the coach stops talking and answers the new thing
    this.speech.stop();
    this.speech.unblock();
    this.view.setTyping(true);
    if (!this.connection.ready) {
      this.banner.show("Not connected: your message will be sent as soon as the coach is back.");
    }
    this.connection.send(clean);
  }

  // The conversation as it was before a reload (the welcome is this page's own
  // first line, never stored).
  restore() {
    this.view.add("bot", { text: WELCOME }, { restoring: true });
    for (const item of this.store.messages()) {
      if (!item || typeof item.text !== "string") continue;
      this.view.add(item.kind === "user" ? "user" : "bot", item, { restoring: true });
    }
  }

  #composer(form) {
    const input = this.input;
    const autosize = () => {
      input.style.height = "auto";
      input.style.height = `${Math.min(input.scrollHeight, window.innerHeight * 0.3)}px`;
    };
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value;
      if (!text.trim()) {
        input.focus();
        return;
      }
      input.value = "";
      autosize();
      this.send(text);
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    input.addEventListener("input", autosize);
  }
}
