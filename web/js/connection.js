// The socket.io connection to Rasa's channel, with session persistence: the
// conversation id is ours (store.sessionId), so a reload or a reconnect joins
// the same conversation. Messages typed while offline wait in an outbox and go
// out, in order, once the session is confirmed again: nothing is lost. A
// message that went out but whose answer never came before the connection
// dropped (its server died under it) is reported ("unanswered"), not resent:
// the server may have acted on it, and a command such as "next" must not
// count twice.

import { authToken } from "./auth.js";
import { contract } from "./contract.js";

const { reconnect_message: RECONNECT_MESSAGE, socket: SOCKET } = contract;

export class Connection extends EventTarget {
  constructor(sessionId) {
    super();
    this.sessionId = sessionId;
    this.ready = false;
    this.confirmedOnce = false;
    this.outbox = [];
    this.awaiting = null; // sent, no answer yet
    this.socket = null;
  }

  start() {
    if (typeof window.io !== "function") {
      this.#emit("state", { state: "offline", reason: "The chat library did not load. Reload the page." });
      return;
    }
    // same origin as the page; websocket first, long-polling if a proxy blocks it
    this.socket = window.io(window.location.origin, {
      path: SOCKET.path,
      transports: ["websocket", "polling"],
      reconnection: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
      timeout: 10000,
      // a token when the page was given one (auth.js); a callback, so a
      // reconnect sends it again
      auth: (send) => send(authToken() ? { token: authToken() } : {}),
    });
    this.socket.on("connect", () => {
      this.#emit("state", { state: "connecting" });
      this.socket.emit("session_request", { session_id: this.sessionId, rich: true });
    });
    this.socket.on("session_confirm", () => {
      const first = !this.confirmedOnce;
      this.confirmedOnce = true;
      this.ready = true;
      this.#emit("state", { state: "online" });
      this.#emit("session", { first });
      this.#flush();
    });
    this.socket.on(SOCKET.bot_message, (message) => {
      this.awaiting = null;
      this.#emit("message", { message });
    });
    this.socket.on("disconnect", (reason) => {
      this.ready = false;
      if (this.awaiting !== null) this.#emit("unanswered", { text: this.awaiting });
      this.awaiting = null;
      this.#emit("state", { state: "offline", reason: describe(reason) });
    });
    this.socket.on("connect_error", () => {
      this.ready = false;
      this.#emit("state", { state: "offline", reason: "Can't reach the coach. Trying again…" });
    });
  }

  // Sends a user message now, or as soon as the session is back.
  send(text) {
    this.outbox.push(text);
    this.#flush();
  }

  // Asks the server to pick the running routine up where it is (after a
  // reload or a dropped connection, timed cues may have been missed).
  resumeRoutine() {
    this.send(RECONNECT_MESSAGE);
  }

  #flush() {
    while (this.ready && this.socket?.connected && this.outbox.length) {
      const text = this.outbox.shift();
      this.socket.emit(SOCKET.user_message, { message: text, session_id: this.sessionId });
      // the reconnect cue may rightly get no answer
      if (text !== RECONNECT_MESSAGE) this.awaiting = text;
      this.#emit("sent", { text });
    }
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

function describe(reason) {
  if (reason === "io client disconnect") return "Disconnected.";
  return "Lost the connection to the coach. Reconnecting…";
}
