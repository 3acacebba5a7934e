// The guided stretch: the routine panel fed from the coach's replies, its
// Pause/Resume, Next and Stop buttons (sent as the contract's button
// messages), the last routine state kept across reloads, and picking a running
// routine up again after a reload, a dropped connection or a hidden tab.
//
// Events: "command" (detail: {payload, shown}: a message to send, and the
// words to show for it) and "ended" (the routine is over).

import { contract } from "./contract.js";
import { RoutinePanel, isActive } from "./routine-panel.js";

const COMMAND_WORDS = { pause: "Pause", resume: "Resume", next: "Next", stop: "Stop" };

export class RoutineController extends EventTarget {
  constructor({ root, connection, store }) {
    super();
    this.root = root;
    this.store = store;
    this.panel = new RoutinePanel(root);
    this.panel.addEventListener("command", (event) => {
      const command = event.detail.command;
      const detail = { payload: contract.buttons[command], shown: COMMAND_WORDS[command] };
      this.dispatchEvent(new CustomEvent("command", { detail }));
    });
    this.panel.addEventListener("ended", () => {
      this.dispatchEvent(new CustomEvent("ended"));
      store.setRoutine(this.panel.routine);
    });
    connection.addEventListener("session", () => {
      // after a reload or a dropped connection, a routine picks up where it is
      if (isActive(store.routine())) connection.resumeRoutine();
    });
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && connection.ready && this.active) {
        connection.resumeRoutine();
      }
    });
  }

  get routine() {
    return this.panel.routine;
  }

  get active() {
    return isActive(this.panel.routine);
  }

  remaining() {
    return this.panel.remaining();
  }

  // A routine object from a reply.
  show(routine) {
    this.panel.update(routine);
    this.store.setRoutine({ ...routine, received_at: Date.now() / 1000 });
  }

  // The routine as it was before a reload, if it was still going.
  restore() {
    const routine = this.store.routine();
    if (isActive(routine)) this.panel.update(routine, routine.received_at);
  }
}
