// Speech playback: the coach's spoken replies (through the Player), the
// speaker toggle and its remembered preference, replaying one message, and
// asking for a tap when the browser holds the voice back.

import { Player } from "./player.js";

export class SpeechController {
  constructor({ audio, toggle, banner, store }) {
    this.store = store;
    this.toggle = toggle;
    this.player = new Player(audio, store.preference("speaker", true));
    toggle.addEventListener("click", () => {
      this.player.setEnabled(!this.player.enabled);
      store.setPreference("speaker", this.player.enabled);
      this.#render();
    });
    this.player.addEventListener("blocked", () => {
      banner.show("The browser held back the coach's voice.", "Tap to hear it", () => {
        this.player.unblock();
        banner.hide();
      });
    });
    this.#render();
  }

  get speaking() {
    return this.player.speaking;
  }

  get played() {
    return [...this.player.played];
  }

  play(url) {
    this.player.enqueue(url);
  }

  // Plays one message again, even with the speaker off.
  replay(url) {
    this.player.stop();
    this.player.setEnabled(true);
    this.player.enqueue(url);
    this.player.setEnabled(this.store.preference("speaker", true));
  }

  stop() {
    this.player.stop();
  }

  unblock() {
    this.player.unblock();
  }

  duck(on) {
    this.player.duck(on);
  }

  #render() {
    const on = this.player.enabled;
    this.toggle.setAttribute("aria-pressed", String(on));
    this.toggle.setAttribute("aria-label", on ? "Speaker: on" : "Speaker: off");
    this.toggle.title = on ? "Speaker on (the coach reads its answers aloud)" : "Speaker off";
  }
}
