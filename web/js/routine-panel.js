// The guided-stretch panel: step, side, the instruction in large type, a big
// countdown for the current hold and Pause/Resume, Next and Stop controls.
//
// The countdown runs from the `routine` object that every routine reply
// carries (server times in epoch seconds): `server_time` gives the offset
// between the server's clock and ours, so a phone with a wrong clock still
// counts right. Paused shows the time left, frozen.

import { contract } from "./contract.js";

const { statuses: STATUS, sides: SIDE, cues: CUE } = contract.routine;
const ACTIVE = new Set(contract.routine.active);
const SIDE_NAMES = { [SIDE.right]: "Right side", [SIDE.left]: "Left side", [SIDE.none]: "" };

export function isActive(routine) {
  return Boolean(routine && ACTIVE.has(routine.status));
}

function formatSeconds(seconds) {
  const whole = Math.max(0, Math.ceil(seconds));
  const minutes = Math.floor(whole / 60);
  const rest = String(whole % 60).padStart(2, "0");
  return `${minutes}:${rest}`;
}

export class RoutinePanel extends EventTarget {
  constructor(root) {
    super();
    this.root = root;
    this.el = {
      title: root.querySelector("#routine-title"),
      step: root.querySelector("#routine-step"),
      instruction: root.querySelector("#routine-instruction"),
      value: root.querySelector("#countdown-value"),
      label: root.querySelector("#countdown-label"),
      ring: root.querySelector("#ring-progress"),
      pause: root.querySelector("#control-pause"),
      next: root.querySelector("#control-next"),
      stop: root.querySelector("#control-stop"),
    };
    this.routine = null;
    this.offset = 0;
    this.timer = null;
    for (const button of root.querySelectorAll("[data-command]")) {
      button.addEventListener("click", () => {
        const command = button.dataset.command;
        this.dispatchEvent(new CustomEvent("command", { detail: { command } }));
      });
    }
  }

  // A routine object from a reply.
  update(routine, receivedAt = Date.now() / 1000) {
    if (!routine || typeof routine !== "object") return;
    if (typeof routine.server_time === "number") this.offset = routine.server_time - receivedAt;
    this.routine = routine;
    const active = isActive(routine);
    this.root.hidden = !active;
    this.root.dataset.status = routine.status;
    document.body.dataset.routine = routine.status;
    if (!active) {
      this.#stopTimer();
      this.dispatchEvent(new CustomEvent("ended", { detail: { routine } }));
      return;
    }
    this.el.title.textContent = routine.title || "Guided stretch";
    const stepText = `Step ${routine.step_index + 1} of ${routine.step_count}`;
    const side = SIDE_NAMES[routine.side] || "";
    this.el.step.textContent = side ? `${stepText} · ${side}` : stepText;
    this.el.instruction.textContent = routine.instruction || "";
    const paused = routine.status === STATUS.paused;
    this.el.pause.textContent = paused ? "Resume" : "Pause";
    this.el.pause.dataset.command = paused ? "resume" : "pause";
    this.el.pause.setAttribute("aria-label", paused ? "Resume the stretch" : "Pause the stretch");
    this.#render();
    this.#startTimer();
  }

  // Seconds left in the current hold, or null when no hold is timed.
  remaining(now = Date.now() / 1000) {
    const r = this.routine;
    if (!r) return null;
    if (r.status === STATUS.paused) return typeof r.remaining_seconds === "number" ? r.remaining_seconds : null;
    if (typeof r.hold_ends_at === "number") return r.hold_ends_at - (now + this.offset);
    return null;
  }

  #render() {
    const r = this.routine;
    if (!r) return;
    const now = Date.now() / 1000 + this.offset;
    let value = "–";
    let label = "";
    let progress = 0;
    if (r.status === STATUS.paused) {
      const left = this.remaining();
      value = left === null ? "–" : formatSeconds(left);
      label = "Paused";
      if (left !== null && r.hold_seconds) progress = 1 - left / r.hold_seconds;
    } else if (r.hold_seconds > 0 && typeof r.hold_ends_at === "number") {
      if (typeof r.hold_started_at === "number" && now < r.hold_started_at) {
        value = formatSeconds(r.hold_seconds);
        label = "Get ready";
      } else {
        const left = r.hold_ends_at - now;
        value = formatSeconds(left);
        label = left > 0 ? "Hold" : "Release";
        progress = Math.min(1, Math.max(0, 1 - left / r.hold_seconds));
      }
    } else {
      // a setup step: the time to get into position
      const next = (r.schedule || []).find((cue) => cue.cue === CUE.setup_end);
      if (next && next.at > now) {
        value = formatSeconds(next.at - now);
        label = "Get into position";
      } else {
        value = "…";
        label = "Get into position";
      }
    }
    this.el.value.textContent = value;
    this.el.label.textContent = label;
    this.root.dataset.remaining = value;
    this.el.ring.style.strokeDashoffset = String(100 - progress * 100);
  }

  #startTimer() {
    if (this.timer === null) this.timer = window.setInterval(() => this.#render(), 250);
  }

  #stopTimer() {
    if (this.timer !== null) window.clearInterval(this.timer);
    this.timer = null;
  }
}
