// The conversation on screen: user and coach bubbles (the coach's in
// Markdown), quick replies under the latest coach message, a replay button on
// every spoken message, and the typing indicator. The list is an ARIA log, so
// screen readers announce each new message once.

import { renderMarkdown } from "./markdown.js";

const TYPING_TIMEOUT_MS = 20000;
const PLAY_ICON =
  '<svg aria-hidden="true" viewBox="0 0 24 24"><path d="M4 9h4l5-4v14l-5-4H4z"/><path d="M16 8.5a5 5 0 0 1 0 7"/></svg>';

export class ChatView extends EventTarget {
  constructor({ list, scroller, typing }) {
    super();
    this.list = list;
    this.scroller = scroller;
    this.typing = typing;
    this.typingTimer = null;
  }

  // kind: "user" | "bot"; message: {text, audio_url?, quick_replies?, via?}
  add(kind, message, { pending = false, notice = false, restoring = false } = {}) {
    const item = document.createElement("li");
    item.className = `message ${kind}`;
    if (pending) item.classList.add("pending");
    if (notice) item.classList.add("notice");
    if (kind === "bot" && message.audio_url) {
      const replay = document.createElement("button");
      replay.type = "button";
      replay.className = "replay";
      replay.setAttribute("aria-label", "Play this message");
      replay.innerHTML = PLAY_ICON; // a constant icon, no server text
      replay.addEventListener("click", () =>
        this.dispatchEvent(new CustomEvent("replay", { detail: { url: message.audio_url } })),
      );
      item.appendChild(replay);
      item.dataset.audio = message.audio_url;
    }
    if (kind === "bot") {
      item.appendChild(renderMarkdown(message.text));
    } else {
      const p = document.createElement("p");
      p.textContent = message.text;
      item.appendChild(p);
      if (message.via === "voice") {
        const via = document.createElement("span");
        via.className = "via";
        via.textContent = "said by voice";
        item.appendChild(via);
      }
    }
    this.list.appendChild(item);
    if (kind === "bot" && !restoring) this.#quickReplies(message.quick_replies || message.buttons);
    if (kind === "user") this.#clearQuickReplies();
    this.#scroll();
    return item;
  }

  clear() {
    this.list.replaceChildren();
    this.#clearQuickReplies();
  }

  setTyping(on) {
    window.clearTimeout(this.typingTimer);
    this.typing.hidden = !on;
    if (on) {
      this.typingTimer = window.setTimeout(() => {
        this.typing.hidden = true;
      }, TYPING_TIMEOUT_MS);
      this.#scroll();
    }
  }

  #quickReplies(replies) {
    this.#clearQuickReplies();
    if (!Array.isArray(replies) || !replies.length) return;
    const group = document.createElement("li");
    group.className = "quick-replies";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Suggested replies");
    for (const reply of replies) {
      if (!reply || !reply.title) continue;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "quick-reply";
      button.textContent = reply.title;
      button.addEventListener("click", () => {
        this.dispatchEvent(
          new CustomEvent("quickreply", { detail: { title: reply.title, payload: reply.payload || reply.title } }),
        );
      });
      group.appendChild(button);
    }
    this.list.appendChild(group);
  }

  #clearQuickReplies() {
    for (const group of this.list.querySelectorAll(".quick-replies")) group.remove();
  }

  #scroll() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }
}
