// What survives a reload: the conversation id (the socket.io session, so the
// server keeps the same conversation and routine), the messages shown, the last
// routine state and the user's preferences. localStorage, with an in-memory
// fallback where it is blocked (some private modes).

const PREFIX = "psoas-coach.";
const MAX_MESSAGES = 200;
const memory = new Map();

function read(key, fallback) {
  try {
    const raw = window.localStorage.getItem(PREFIX + key);
    return raw === null ? fallback : JSON.parse(raw);
  } catch {
    return memory.has(key) ? memory.get(key) : fallback;
  }
}

function write(key, value) {
  memory.set(key, value);
  try {
    window.localStorage.setItem(PREFIX + key, JSON.stringify(value));
  } catch {
    // quota or privacy mode: the in-memory copy still serves this page
  }
}

function newId() {
  if (window.crypto?.randomUUID) return window.crypto.randomUUID().replaceAll("-", "");
  return Array.from({ length: 32 }, () => Math.floor(Math.random() * 16).toString(16)).join("");
}

export const store = {
  sessionId() {
    let id = read("session", null);
    if (typeof id !== "string" || !/^[A-Za-z0-9_-]{8,128}$/.test(id)) {
      id = newId();
      write("session", id);
    }
    return id;
  },

  // a fresh conversation (the old one stays on the server)
  resetSession() {
    write("session", newId());
    write("messages", []);
    write("routine", null);
    return read("session", null);
  },

  messages() {
    const list = read("messages", []);
    return Array.isArray(list) ? list : [];
  },

  // the conversation was deleted on the server ("delete my conversation")
  clearMessages() {
    write("messages", []);
    write("routine", null);
  },

  addMessage(message) {
    const list = this.messages();
    list.push(message);
    write("messages", list.slice(-MAX_MESSAGES));
  },

  routine() {
    return read("routine", null);
  },

  setRoutine(routine) {
    write("routine", routine);
  },

  preference(name, fallback) {
    return read(`pref.${name}`, fallback);
  },

  setPreference(name, value) {
    write(`pref.${name}`, value);
  },
};
