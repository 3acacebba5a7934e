// The psoas coach widget: chat over socket.io, spoken replies, push-to-talk,
// and a guided-stretch panel with hands-free voice control.

import { ChatView } from "./chat.js";
import { Connection } from "./connection.js";
import { HandsFreeListener } from "./listener.js";
import { microphoneAvailable, microphoneProblem } from "./microphone.js";
import { Player } from "./player.js";
import { PushToTalk, recorderSupported } from "./recorder.js";
import { RoutinePanel, isActive } from "./routine-panel.js";
import { store } from "./store.js";
import { sendRecording } from "./voice.js";

const $ = (selector) => document.querySelector(selector);
const COMMANDS = { pause: "/routine_pause", resume: "/routine_resume", next: "/routine_next", stop: "/routine_stop" };
const COMMAND_WORDS = { pause: "Pause", resume: "Resume", next: "Next", stop: "Stop" };
const HANDS_FREE_HINTS = {
  listening: "Listening. Say “pause”, “next”, “how long left” or “stop”.",
  hearing: "Hearing you…",
  sending: "Got it, one moment…",
  off: "Say “pause”, “next” or “stop” without touching the screen.",
};

const sessionId = store.sessionId();
const connection = new Connection(sessionId);
const chat = new ChatView({ list: $("#messages"), scroller: $("#chat"), typing: $("#typing") });
const player = new Player($("#coach-audio"), store.preference("speaker", true));
const panel = new RoutinePanel($("#routine"));
const pushToTalk = new PushToTalk({ onLevel: (level) => setMicLevel(level) });
let listener = null;
const voiceLog = []; // hands-free exchanges: {mode, status, transcript}

// --- messages ---------------------------------------------------------------

function showBotMessage(message, { speak = true } = {}) {
  if (!message || typeof message !== "object") return;
  if (message.text) {
    chat.add("bot", message);
    store.addMessage({ kind: "bot", text: message.text, audio_url: message.audio_url || null });
  } else if (message.quick_replies || message.buttons) {
    chat.add("bot", { text: "", quick_replies: message.quick_replies || message.buttons });
  }
  if (speak && message.audio_url) player.enqueue(message.audio_url);
  if (message.routine) {
    panel.update(message.routine);
    store.setRoutine({ ...message.routine, received_at: Date.now() / 1000 });
  }
}

function showUserMessage(text, via = "text") {
  const item = chat.add("user", { text, via }, { pending: via === "text" && !connection.ready });
  store.addMessage({ kind: "user", text, via });
  return item;
}

// messages typed while offline look pending until they have gone out
connection.addEventListener("sent", () => {
  const waiting = document.querySelector("li.message.user.pending");
  if (waiting) waiting.classList.remove("pending");
});

function sendText(text, shown = text) {
  const clean = String(text).trim();
  if (!clean) return;
  if (shown) showUserMessage(shown);
  // the person has moved on: the coach stops talking and answers the new thing
  player.stop();
  player.unblock();
  chat.setTyping(true);
  if (!connection.ready) showBanner("Not connected: your message will be sent as soon as the coach is back.");
  connection.send(clean);
}

connection.addEventListener("message", (event) => {
  chat.setTyping(false);
  showBotMessage(event.detail.message);
});

connection.addEventListener("state", (event) => {
  const { state, reason } = event.detail;
  const status = $("#connection");
  status.dataset.state = state;
  status.textContent = { online: "Online", connecting: "Connecting…", offline: "Offline" }[state] || state;
  if (state === "offline") showBanner(reason || "Lost the connection to the coach. Reconnecting…");
  if (state === "online") hideBanner();
});

connection.addEventListener("session", () => {
  // after a reload or a dropped connection, a routine picks up where it is
  if (isActive(store.routine())) connection.resumeRoutine();
});

// --- composer ---------------------------------------------------------------

const input = $("#message-input");

$("#composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = input.value;
  if (!text.trim()) {
    input.focus();
    return;
  }
  input.value = "";
  autosize();
  sendText(text);
});

input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    $("#composer").requestSubmit();
  }
});

function autosize() {
  input.style.height = "auto";
  input.style.height = `${Math.min(input.scrollHeight, window.innerHeight * 0.3)}px`;
}
input.addEventListener("input", autosize);

chat.addEventListener("quickreply", (event) => sendText(event.detail.payload, event.detail.title));
chat.addEventListener("replay", (event) => {
  player.stop();
  player.setEnabled(true);
  player.enqueue(event.detail.url);
  player.setEnabled(store.preference("speaker", true));
});

// --- speaker ----------------------------------------------------------------

const speakerToggle = $("#speaker-toggle");

function renderSpeaker() {
  const on = player.enabled;
  speakerToggle.setAttribute("aria-pressed", String(on));
  speakerToggle.setAttribute("aria-label", on ? "Speaker: on" : "Speaker: off");
  speakerToggle.title = on ? "Speaker on (the coach reads its answers aloud)" : "Speaker off";
}

speakerToggle.addEventListener("click", () => {
  player.setEnabled(!player.enabled);
  store.setPreference("speaker", player.enabled);
  renderSpeaker();
});

player.addEventListener("blocked", () => {
  showBanner("The browser held back the coach's voice.", "Tap to hear it", () => {
    player.unblock();
    hideBanner();
  });
});

// --- banner -----------------------------------------------------------------

function showBanner(text, actionLabel = null, action = null) {
  $("#banner-text").textContent = text;
  const button = $("#banner-action");
  button.hidden = !actionLabel;
  button.textContent = actionLabel || "";
  button.onclick = action;
  $("#banner").hidden = false;
}

function hideBanner() {
  $("#banner").hidden = true;
}

// --- voice: push-to-talk ------------------------------------------------------

const micButton = $("#mic-button");

function setMicLevel(level) {
  micButton.style.setProperty("--level", String(level));
}

function announce(text) {
  $("#recording-status").textContent = text;
}

function handleVoiceResult(result, { handsFree = false } = {}) {
  if (result.status === "ok") {
    const wasActive = isActive(panel.routine);
    player.stop(); // interrupted: what was still queued is out of date
    if (result.transcript) showUserMessage(result.transcript, "voice");
    for (const message of result.messages) showBotMessage(message);
    // a stretch started by voice goes on hands-free: the person is on the floor
    if (!handsFree && !wasActive && isActive(panel.routine)) startHandsFree();
    return true;
  }
  if (["network_error", "timeout", "server_error"].includes(result.status)) {
    const text = "I couldn't reach the coach to send your recording. Please try again, or type.";
    if (handsFree) setHandsFreeStatus(text);
    else chat.add("bot", { text }, { notice: true });
    return false;
  }
  // refused ("I didn't catch that"): spoken and shown for push-to-talk; in
  // hands-free mode only a quiet hint, so noise never makes the coach talk
  if (handsFree) {
    setHandsFreeStatus("Didn't catch that. Say it again?");
  } else {
    for (const message of result.messages) {
      chat.add("bot", message, { notice: true });
      if (message.audio_url) player.enqueue(message.audio_url);
    }
  }
  return false;
}

async function recordQuestion() {
  if (pushToTalk.recording) {
    pushToTalk.stop();
    return;
  }
  if (!microphoneAvailable() || !recorderSupported()) {
    showBanner(microphoneProblem(null));
    return;
  }
  player.stop();
  listener?.suspend(true);
  micButton.setAttribute("aria-pressed", "true");
  micButton.setAttribute("aria-label", "Stop recording and send");
  announce("Listening. Speak now; tap again to send.");
  try {
    const recording = await pushToTalk.record();
    if (!recording) {
      announce("Recording cancelled.");
      return;
    }
    micButton.dataset.state = "sending";
    announce("Sending your question.");
    chat.setTyping(true);
    const result = await sendRecording(recording.blob, { sender: sessionId, mode: "question" });
    chat.setTyping(false);
    handleVoiceResult(result);
  } catch (error) {
    showBanner(microphoneProblem(error));
  } finally {
    micButton.setAttribute("aria-pressed", "false");
    micButton.setAttribute("aria-label", "Ask by voice");
    delete micButton.dataset.state;
    listener?.suspend(false);
  }
}

micButton.addEventListener("click", () => {
  player.unblock();
  recordQuestion();
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && pushToTalk.recording) pushToTalk.cancel();
});

// --- guided stretch -----------------------------------------------------------

panel.addEventListener("command", (event) => {
  const command = event.detail.command;
  sendText(COMMANDS[command], COMMAND_WORDS[command]);
});

panel.addEventListener("ended", () => stopHandsFree());

const handsFreeToggle = $("#hands-free-toggle");

function setHandsFreeStatus(text) {
  $("#hands-free-status").textContent = text;
}

function renderHandsFree() {
  const on = Boolean(listener && listener.running);
  handsFreeToggle.setAttribute("aria-pressed", String(on));
  $("#hands-free-label").textContent = on ? "Hands-free: on" : "Hands-free: off";
  $("#level").hidden = !on;
  document.body.dataset.handsFree = String(on);
}

async function startHandsFree() {
  if (listener && listener.running) return;
  if (!microphoneAvailable()) {
    setHandsFreeStatus(microphoneProblem(null));
    return;
  }
  listener = new HandsFreeListener({
    sender: sessionId,
    isCoachSpeaking: () => player.speaking,
    onDuck: (on) => player.duck(on),
  });
  listener.addEventListener("state", (event) => {
    const state = event.detail.state;
    document.body.dataset.listening = state;
    if (HANDS_FREE_HINTS[state]) setHandsFreeStatus(HANDS_FREE_HINTS[state]);
    renderHandsFree();
  });
  listener.addEventListener("level", (event) => {
    $("#level").value = Math.min(1, event.detail.level * 8);
  });
  listener.addEventListener("result", (event) => {
    const { result, mode } = event.detail;
    voiceLog.push({ mode, status: result.status, transcript: result.transcript || "" });
    const acted = handleVoiceResult(result, { handsFree: true });
    if (acted) setHandsFreeStatus(`Heard: “${result.transcript}”`);
  });
  try {
    await listener.start();
    store.setPreference("handsFree", true);
  } catch (error) {
    listener = null;
    setHandsFreeStatus(microphoneProblem(error));
  }
  renderHandsFree();
}

function stopHandsFree({ remember = true } = {}) {
  if (listener) listener.stop();
  listener = null;
  if (!remember) store.setPreference("handsFree", false);
  renderHandsFree();
}

handsFreeToggle.addEventListener("click", () => {
  player.unblock();
  if (listener && listener.running) stopHandsFree({ remember: false });
  else startHandsFree();
});

// Turn hands-free back on for a routine if the person used it before and the
// browser already allows the microphone (never a surprise permission prompt).
async function maybeResumeHandsFree() {
  if (!store.preference("handsFree", false) || !isActive(panel.routine)) return;
  try {
    const permission = await navigator.permissions?.query({ name: "microphone" });
    if (permission && permission.state === "granted") startHandsFree();
  } catch {
    // the Permissions API does not know "microphone" in every browser
  }
}

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && connection.ready && isActive(panel.routine)) {
    connection.resumeRoutine();
  }
});

// --- start --------------------------------------------------------------------

const WELCOME =
  "Hi! I'm your psoas coach. Ask me about the psoas, stretching, massage or release tools, by typing or with the microphone. Say **“guide me through the psoas stretch”** and I'll time each hold for you.";

// The conversation as it was before a reload (the welcome is this page's own
// first line, never stored).
function restore() {
  chat.add("bot", { text: WELCOME }, { restoring: true });
  for (const item of store.messages()) {
    if (!item || typeof item.text !== "string") continue;
    chat.add(item.kind === "user" ? "user" : "bot", item, { restoring: true });
  }
  const routine = store.routine();
  if (isActive(routine)) panel.update(routine, routine.received_at);
}

renderSpeaker();
renderHandsFree();
restore();
connection.start();
panel.addEventListener("ended", () => store.setRoutine(panel.routine));
const observer = new MutationObserver(() => {
  if (isActive(panel.routine)) maybeResumeHandsFree();
});
observer.observe($("#routine"), { attributes: true, attributeFilter: ["hidden"] });
maybeResumeHandsFree();
if (!microphoneAvailable()) {
  micButton.disabled = true;
  micButton.title = microphoneProblem(null);
}

// read-only state for diagnostics and the browser tests
window.psoasCoach = {
  sessionId,
  get routine() {
    return panel.routine;
  },
  get remaining() {
    return panel.remaining();
  },
  get played() {
    return [...player.played];
  },
  get listening() {
    return listener ? listener.state : "off";
  },
  get voiceLog() {
    return voiceLog.map((entry) => ({ ...entry }));
  },
};
