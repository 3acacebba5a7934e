// The small Markdown the coach writes, turned into DOM nodes (never innerHTML,
// so text from the server can never become markup): paragraphs, bullet and
// numbered lists, **bold**, _italic_ / *italic*, `code`, and [links](https://…).

const INLINE = /(\*\*[^*]+\*\*|__[^_]+__|\*[^*\s][^*]*\*|_[^_\s][^_]*_|`[^`]+`|\[[^\]]+\]\([^)\s]+\))/;

function safeHref(url) {
  try {
    const parsed = new URL(url, window.location.href);
    return ["http:", "https:", "mailto:"].includes(parsed.protocol) ? parsed.href : null;
  } catch {
    return null;
  }
}

export function renderInline(text, parent) {
  const parts = text.split(INLINE);
  for (const part of parts) {
    if (!part) continue;
    let node;
    if (/^\*\*[^*]+\*\*$/.test(part) || /^__[^_]+__$/.test(part)) {
      node = document.createElement("strong");
      renderInline(part.slice(2, -2), node);
    } else if (/^\*[^*]+\*$/.test(part) || /^_[^_]+_$/.test(part)) {
      node = document.createElement("em");
      renderInline(part.slice(1, -1), node);
    } else if (/^`[^`]+`$/.test(part)) {
      node = document.createElement("code");
      node.textContent = part.slice(1, -1);
    } else if (/^\[[^\]]+\]\([^)\s]+\)$/.test(part)) {
      const match = part.match(/^\[([^\]]+)\]\(([^)\s]+)\)$/);
      const href = match && safeHref(match[2]);
      if (href) {
        node = document.createElement("a");
        node.href = href;
        node.rel = "noopener noreferrer";
        node.target = "_blank";
        renderInline(match[1], node);
      } else {
        node = document.createTextNode(match ? match[1] : part);
      }
    } else {
      node = document.createTextNode(part);
    }
    parent.appendChild(node);
  }
  return parent;
}

// Markdown text -> a DocumentFragment of block elements.
export function renderMarkdown(text) {
  const fragment = document.createDocumentFragment();
  const lines = String(text ?? "").replace(/\r\n?/g, "\n").split("\n");
  let paragraph = [];
  let list = null;

  const flushParagraph = () => {
    if (paragraph.length) {
      const p = document.createElement("p");
      paragraph.forEach((line, i) => {
        if (i) p.appendChild(document.createElement("br"));
        renderInline(line, p);
      });
      fragment.appendChild(p);
      paragraph = [];
    }
  };
  const flushList = () => {
    if (list) {
      fragment.appendChild(list);
      list = null;
    }
  };

  for (const raw of lines) {
    const line = raw.trimEnd();
    const bullet = line.match(/^\s*[-*•]\s+(.*)$/);
    const numbered = line.match(/^\s*(\d+)[.)]\s+(.*)$/);
    if (bullet || numbered) {
      flushParagraph();
      const tag = bullet ? "UL" : "OL";
      if (!list || list.tagName !== tag) {
        flushList();
        list = document.createElement(tag.toLowerCase());
        if (numbered && numbered[1] !== "1") list.start = Number(numbered[1]);
      }
      const item = document.createElement("li");
      renderInline(bullet ? bullet[1] : numbered[2], item);
      list.appendChild(item);
    } else if (!line.trim()) {
      flushParagraph();
      flushList();
    } else {
      flushList();
      paragraph.push(line.trim());
    }
  }
  flushParagraph();
  flushList();
  return fragment;
}

// Markdown to plain text (for labels and the screen reader's summaries).
export function plainText(text) {
  return String(text ?? "")
    .replace(/\[([^\]]+)\]\([^)]+\)/g, "$1")
    .replace(/[*_`#>]+/g, "")
    .replace(/\s+/g, " ")
    .trim();
}
