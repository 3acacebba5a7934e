// The server's side of the widget contract, loaded once: what the buttons
// send, the reconnect message, the socket.io events, the voice channel's URL,
// modes and statuses, and the routine's statuses, sides and cues. The server
// builds it from its single sources (channels/widget.py: widget_contract, from
// coach/intents.py, the voice channel and the routine model) and serves it at
// /coach/contract.json; no other script types any of these facts.
//
// Every module that needs a fact imports `contract` from here; the top-level
// await holds the page's scripts back until it is in (same origin, a few
// hundred bytes). If the server is briefly unreachable, it tries again.

const CONTRACT_URL = new URL("../../contract.json", import.meta.url);
const RETRY_MS = [500, 1000, 2000, 5000];

function deepFreeze(value) {
  if (value && typeof value === "object") {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

async function load() {
  for (let attempt = 0; ; attempt++) {
    try {
      const response = await fetch(CONTRACT_URL, { cache: "no-cache" });
      if (response.ok) return deepFreeze(await response.json());
    } catch {
      // offline for a moment: try again below
    }
    if (attempt === 0) console.warn(`could not load ${CONTRACT_URL}; trying again`);
    const wait = RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)];
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

export const contract = await load();
