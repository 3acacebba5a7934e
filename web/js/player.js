// Plays the coach's audio replies one after another, in the order they came,
// through one <audio> element. The speaker toggle mutes (and clears what is
// queued). Browsers may refuse to play before the user has touched the page:
// then "blocked" fires and play resumes on the next user gesture.
//
// "speaking" events (detail: { speaking }) tell hands-free listening when the
// coach's own voice is coming out of the speaker.

export class Player extends EventTarget {
  constructor(audio, enabled = true) {
    super();
    this.audio = audio;
    this.enabled = enabled;
    this.queue = [];
    this.playing = false;
    this.played = [];
    audio.addEventListener("ended", () => this.#next());
    audio.addEventListener("error", () => this.#next());
    audio.addEventListener("playing", () => this.#setSpeaking(true));
    audio.addEventListener("pause", () => {
      if (audio.ended || !this.queue.length) this.#setSpeaking(false);
    });
  }

  get speaking() {
    return this.playing && !this.audio.paused;
  }

  enqueue(url) {
    if (!url || !this.enabled) return;
    this.queue.push(url);
    if (!this.playing) this.#next();
  }

  setEnabled(enabled) {
    this.enabled = enabled;
    if (!enabled) this.stop();
  }

  // Stops the current reply and forgets the queue.
  stop() {
    this.queue = [];
    this.playing = false;
    this.blocked = false;
    this.audio.pause();
    this.audio.removeAttribute("src");
    this.audio.load();
    this.#setSpeaking(false);
  }

  // Lower the coach while the person speaks over it, then restore.
  duck(on) {
    this.audio.volume = on ? 0.25 : 1;
  }

  // After a user gesture: try again what the browser refused.
  unblock() {
    if (this.blocked) {
      this.blocked = false;
      this.playing = false;
      this.#next(true);
    }
  }

  #next(retry = false) {
    if (!retry) {
      if (!this.queue.length) {
        this.playing = false;
        this.#setSpeaking(false);
        return;
      }
      this.audio.src = this.queue.shift();
      this.played.push(this.audio.src);
      this.audio.dataset.played = String(this.played.length);
    }
    this.playing = true;
    const attempt = this.audio.play();
    if (attempt && typeof attempt.catch === "function") {
      attempt.catch((error) => {
        if (error && error.name === "NotAllowedError") {
          this.blocked = true;
          this.playing = false;
          this.dispatchEvent(new CustomEvent("blocked"));
        } else {
          this.#next();
        }
      });
    }
  }

  #setSpeaking(speaking) {
    if (this._speaking === speaking) return;
    this._speaking = speaking;
    document.body.dataset.speaking = String(speaking);
    this.dispatchEvent(new CustomEvent("speaking", { detail: { speaking } }));
  }
}
