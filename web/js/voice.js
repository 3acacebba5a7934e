// Sends a recording to the voice channel and returns its JSON answer
// ({status, transcript, messages, ...}); network trouble becomes a status of
// this page's own (network_error, timeout, server_error) so callers always get
// an answer to show. `outcome` sorts an answer into what the page does with it.

import { authHeaders } from "./auth.js";
import { contract } from "./contract.js";

export const VOICE_URL = contract.voice.url;
export const MODES = contract.voice.modes;
const TIMEOUT_MS = 30000;

// statuses made here, when the server's answer never came
const NETWORK_ERROR = "network_error";
const TIMEOUT = "timeout";
const SERVER_ERROR = "server_error";
const NOT_SENT_STATUSES = new Set([NETWORK_ERROR, TIMEOUT, SERVER_ERROR]);

// what an answer means to the page
export const HEARD = "heard"; // understood and answered
export const NOT_SENT = "not_sent"; // the coach could not be reached
export const REFUSED = "refused"; // "I didn't catch that" (any other status)
export const NOT_SENT_TEXT = "I couldn't reach the coach to send your recording. Please try again, or type.";

export function outcome(result) {
  if (result.status === contract.voice.statuses.ok) return HEARD;
  if (NOT_SENT_STATUSES.has(result.status)) return NOT_SENT;
  return REFUSED;
}

export async function sendRecording(blob, { sender, mode = MODES.question, filename } = {}) {
  const form = new FormData();
  form.append("sender", sender);
  form.append("mode", mode);
  form.append("audio", blob, filename || defaultName(blob.type));
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  try {
    const response = await fetch(VOICE_URL, {
      method: "POST",
      body: form,
      headers: authHeaders(),
      signal: controller.signal,
    });
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    if (!body || typeof body !== "object") {
      return { status: SERVER_ERROR, httpStatus: response.status, messages: [] };
    }
    return { ...body, httpStatus: response.status, messages: body.messages || [] };
  } catch (error) {
    return {
      status: error && error.name === "AbortError" ? TIMEOUT : NETWORK_ERROR,
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
