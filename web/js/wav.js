// Float32 samples at the AudioContext's rate -> a 16 kHz mono 16-bit WAV Blob,
// the recogniser's own format (small uploads, no decoding on the server).

export const TARGET_RATE = 16000;

// Downsample with a short windowed-sinc low-pass first, so that 48 kHz audio
// does not fold its highs into the speech band.
export function downsample(samples, fromRate, toRate = TARGET_RATE) {
  if (fromRate === toRate) return Float32Array.from(samples);
  if (fromRate < toRate) throw new Error(`cannot upsample ${fromRate} to ${toRate}`);
  const ratio = fromRate / toRate;
  const cutoff = 0.5 / ratio; // normalised to the input rate
  const half = 16;
  const taps = [];
  let sum = 0;
  for (let i = -half; i <= half; i++) {
    const sinc = i === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * i) / (Math.PI * i);
    const window = 0.5 + 0.5 * Math.cos((Math.PI * i) / (half + 1));
    taps.push(sinc * window);
    sum += sinc * window;
  }
  for (let i = 0; i < taps.length; i++) taps[i] /= sum;
  const length = Math.floor(samples.length / ratio);
  const out = new Float32Array(length);
  for (let n = 0; n < length; n++) {
    const center = Math.round(n * ratio);
    let acc = 0;
    for (let k = -half; k <= half; k++) {
      const index = center + k;
      if (index >= 0 && index < samples.length) acc += samples[index] * taps[k + half];
    }
    out[n] = acc;
  }
  return out;
}

export function encodeWav(samples, rate = TARGET_RATE) {
  const buffer = new ArrayBuffer(44 + samples.length * 2);
  const view = new DataView(buffer);
  const text = (offset, value) => {
    for (let i = 0; i < value.length; i++) view.setUint8(offset + i, value.charCodeAt(i));
  };
  text(0, "RIFF");
  view.setUint32(4, 36 + samples.length * 2, true);
  text(8, "WAVE");
  text(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, rate, true);
  view.setUint32(28, rate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  text(36, "data");
  view.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]));
    view.setInt16(44 + i * 2, s < 0 ? s * 0x8000 : s * 0x7fff, true);
  }
  return new Blob([buffer], { type: "audio/wav" });
}

// Concatenates Float32Array chunks.
export function concat(chunks) {
  const length = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Float32Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
