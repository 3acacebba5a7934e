// Sends a recording to the voice channel and returns its JSON answer
// ({status, transcript, messages, ...}); network trouble becomes
// {status: "network_error"} so callers always get an answer to show.

export const VOICE_URL = "/webhooks/voice/webhook";
const TIMEOUT_MS = 30000;

export async function sendRecording(blob, { sender, mode = "question", filename } = {}) {
  const form = new FormData();
  form.append("sender", sender);
  form.append("mode", mode);
  form.append("audio", blob, filename || defaultName(blob.type));
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  try {
    const response = await fetch(VOICE_URL, { method: "POST", body: form, signal: controller.signal });
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    if (!body || typeof body !== "object") {
      return { status: "server_error", httpStatus: response.status, messages: [] };
    }
    return { ...body, httpStatus: response.status, messages: body.messages || [] };
  } catch (error) {
    return {
      status: error && error.name === "AbortError" ? "timeout" : "network_error",
      messages: [],
    };
  } finally {
    clearTimeout(timer);
  }
}

function defaultName(type) {
  if (/wav/.test(type)) return "speech.wav";
  if (/ogg/.test(type)) return "speech.ogg";
  if (/mp4|aac|m4a/.test(type)) return "speech.m4a";
  return "speech.webm";
}
