// The banner under the top bar: one line of news (offline, a blocked voice, a
// microphone problem) with an optional action button.

export class Banner {
  constructor({ root, text, action }) {
    this.root = root;
    this.text = text;
    this.action = action;
  }

  show(text, actionLabel = null, action = null) {
    this.text.textContent = text;
    this.action.hidden = !actionLabel;
    this.action.textContent = actionLabel || "";
    this.action.onclick = action;
    this.root.hidden = false;
  }

  hide() {
    this.root.hidden = true;
  }
}
