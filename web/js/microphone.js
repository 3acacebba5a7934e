// The microphone, shared by push-to-talk and hands-free listening: one
// permission prompt, one stream, one AudioContext. Echo cancellation is asked
// for, so the coach's own voice from the speaker is mostly removed before it
// reaches the recogniser.

let streamPromise = null;
let context = null;

export function microphoneAvailable() {
  return Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.isSecureContext);
}

export function microphoneProblem(error) {
  if (!window.isSecureContext) {
    return "The microphone only works over https or on localhost.";
  }
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return "This browser cannot record audio. Please type instead.";
  }
  switch (error && error.name) {
    case "NotAllowedError":
    case "SecurityError":
      return "The microphone is blocked. Allow it for this site in the browser's settings, then try again.";
    case "NotFoundError":
    case "OverconstrainedError":
      return "No microphone was found. Plug one in, or type instead.";
    case "NotReadableError":
    case "AbortError":
      return "The microphone is busy in another app. Close it there and try again.";
    default:
      return "The microphone could not start. Please type instead.";
  }
}

export async function getStream() {
  if (!microphoneAvailable()) throw Object.assign(new Error("no microphone"), { name: "NotSupportedError" });
  if (!streamPromise) {
    streamPromise = navigator.mediaDevices
      .getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: false, autoGainControl: false, channelCount: 1 },
      })
      .catch((error) => {
        streamPromise = null;
        throw error;
      });
  }
  const stream = await streamPromise;
  if (stream.getAudioTracks().every((track) => track.readyState === "ended")) {
    streamPromise = null;
    return getStream();
  }
  return stream;
}

export function audioContext() {
  if (!context || context.state === "closed") {
    const Context = window.AudioContext || window.webkitAudioContext;
    context = new Context();
  }
  if (context.state === "suspended") context.resume().catch(() => {});
  return context;
}

// RMS level (0..1) of the stream, read by polling an AnalyserNode.
export function levelMeter(stream) {
  const ctx = audioContext();
  const source = ctx.createMediaStreamSource(stream);
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 1024;
  source.connect(analyser);
  const data = new Float32Array(analyser.fftSize);
  return {
    level() {
      analyser.getFloatTimeDomainData(data);
      let sum = 0;
      for (let i = 0; i < data.length; i++) sum += data[i] * data[i];
      return Math.sqrt(sum / data.length);
    },
    close() {
      source.disconnect();
    },
  };
}
