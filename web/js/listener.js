// Hands-free listening during a guided stretch: the microphone stays open, a
// voice activity detector cuts what is said into utterances, and each one goes
// to the voice channel on its own.
//
// The detector compares 20 ms energies with a noise floor it keeps learning
// while nobody speaks; an utterance starts after 60 ms above the threshold
// (with 400 ms of audio before it kept, so first syllables are not lost) and
// ends after 600 ms below it, or at 8 s.
//
// No echo loop: while the coach's own voice comes out of the speaker, the
// threshold is raised (the person must speak over it) and an utterance that
// overlaps it is sent as "barge_in", which the server only acts upon for
// "stop", "pause" and pain words (a closed list on the server). The coach is ducked
// while the person speaks over it. Nothing that fails to be understood is ever
// answered aloud in this mode.

import { audioContext, getStream } from "./microphone.js";
import { concat, downsample, encodeWav } from "./wav.js";
import { MODES, sendRecording } from "./voice.js";

const WINDOW_S = 0.02;
const START_WINDOWS = 3;
const END_SILENCE_S = 0.6;
const PRE_ROLL_S = 0.4;
const MIN_SPEECH_S = 0.25;
const MAX_UTTERANCE_S = 8;
const MIN_THRESHOLD = 0.01;
const FLOOR_FACTOR = 3;
const ECHO_FACTOR = 2.5;

export class HandsFreeListener extends EventTarget {
  constructor({ sender, isCoachSpeaking, onDuck }) {
    super();
    this.sender = sender;
    this.isCoachSpeaking = isCoachSpeaking || (() => false);
    this.onDuck = onDuck || (() => {});
    this.running = false;
    this.suspended = false;
    this.queue = Promise.resolve();
  }

  async start() {
    if (this.running) return;
    const stream = await getStream();
    const ctx = audioContext();
    this.rate = ctx.sampleRate;
    this.window = Math.round(this.rate * WINDOW_S);
    this.source = ctx.createMediaStreamSource(stream);
    this.#resetDetector();
    const onSamples = (samples) => this.#onSamples(samples);
    try {
      if (!ctx.audioWorklet) throw new Error("no AudioWorklet");
      if (!HandsFreeListener.workletLoaded) {
        await ctx.audioWorklet.addModule(new URL("./capture-worklet.js", import.meta.url));
        HandsFreeListener.workletLoaded = true;
      }
      this.node = new AudioWorkletNode(ctx, "capture");
      this.node.port.onmessage = (event) => onSamples(event.data);
    } catch {
      // older browsers: the deprecated ScriptProcessorNode does the same job
      this.node = ctx.createScriptProcessor(2048, 1, 1);
      this.node.onaudioprocess = (event) => onSamples(new Float32Array(event.inputBuffer.getChannelData(0)));
    }
    this.source.connect(this.node);
    // a silent sink keeps the graph pulling samples in every browser
    this.sink = ctx.createGain();
    this.sink.gain.value = 0;
    this.node.connect(this.sink).connect(ctx.destination);
    this.running = true;
    this.#state("listening");
  }

  stop() {
    if (!this.running) return;
    this.running = false;
    try {
      this.source.disconnect();
      this.node.disconnect();
      this.sink.disconnect();
    } catch {
      // already disconnected
    }
    this.onDuck(false);
    this.#state("off");
  }

  // While push-to-talk records, hands-free steps aside.
  suspend(suspended) {
    this.suspended = suspended;
    if (suspended) this.#resetDetector();
  }

  #resetDetector() {
    this.pending = new Float32Array(0);
    this.preRoll = [];
    this.preRollLength = 0;
    this.chunks = null;
    this.above = 0;
    this.silentFor = 0;
    this.voiced = 0;
    this.overlapped = false;
    this.noise = this.noise || 0.004;
  }

  #onSamples(samples) {
    if (!this.running || this.suspended) return;
    const joined = new Float32Array(this.pending.length + samples.length);
    joined.set(this.pending);
    joined.set(samples, this.pending.length);
    let offset = 0;
    while (offset + this.window <= joined.length) {
      this.#onWindow(joined.subarray(offset, offset + this.window));
      offset += this.window;
    }
    this.pending = joined.slice(offset);
  }

  #onWindow(frame) {
    let sum = 0;
    for (let i = 0; i < frame.length; i++) sum += frame[i] * frame[i];
    const energy = Math.sqrt(sum / frame.length);
    const speaking = this.isCoachSpeaking();
    const threshold = Math.max(this.noise * FLOOR_FACTOR, MIN_THRESHOLD) * (speaking ? ECHO_FACTOR : 1);
    this.dispatchEvent(new CustomEvent("level", { detail: { level: energy, threshold } }));
    const copy = Float32Array.from(frame);

    if (this.chunks === null) {
      // waiting for speech: keep a short pre-roll and learn the noise floor
      this.preRoll.push(copy);
      this.preRollLength += copy.length;
      while (this.preRollLength > PRE_ROLL_S * this.rate) this.preRollLength -= this.preRoll.shift().length;
      if (energy > threshold) {
        this.above += 1;
        if (this.above >= START_WINDOWS) {
          this.chunks = [...this.preRoll];
          this.preRoll = [];
          this.preRollLength = 0;
          this.voiced = this.above;
          this.silentFor = 0;
          this.overlapped = speaking;
          if (speaking) this.onDuck(true);
          this.#state("hearing");
        }
      } else {
        this.above = 0;
        if (!speaking) this.noise = 0.95 * this.noise + 0.05 * Math.min(energy, this.noise * 4);
      }
      return;
    }

    // in an utterance
    this.chunks.push(copy);
    this.overlapped = this.overlapped || speaking;
    if (energy > threshold * 0.7) {
      this.voiced += 1;
      this.silentFor = 0;
    } else {
      this.silentFor += WINDOW_S;
    }
    const length = this.chunks.length * WINDOW_S;
    if (this.silentFor >= END_SILENCE_S || length >= MAX_UTTERANCE_S) this.#endUtterance();
  }

  #endUtterance() {
    const chunks = this.chunks;
    const overlapped = this.overlapped;
    const voicedSeconds = this.voiced * WINDOW_S;
    this.chunks = null;
    this.above = 0;
    this.onDuck(false);
    if (voicedSeconds < MIN_SPEECH_S) {
      this.#state("listening");
      return;
    }
    const wav = encodeWav(downsample(concat(chunks), this.rate));
    const mode = overlapped ? MODES.barge_in : MODES.hands_free;
    this.#state("sending");
    // one at a time, in the order spoken
    this.queue = this.queue.then(async () => {
      const result = await sendRecording(wav, { sender: this.sender, mode, filename: "utterance.wav" });
      this.dispatchEvent(new CustomEvent("result", { detail: { result, mode } }));
      if (this.running) this.#state(this.chunks === null ? "listening" : "hearing");
    });
  }

  #state(state) {
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: { state } }));
  }
}
