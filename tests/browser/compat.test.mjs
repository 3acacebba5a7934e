// Compatibility: the unmodified third-party widget rasa-webchat (npm), on a
// page of another origin, pointed at our socket.io channel, talks to the coach.
// Its own bundle (node_modules/rasa-webchat/lib/index.js) is served as is, from
// the origin the coach was told to let in (PSOAS_CORS_ORIGINS, COMPAT_ORIGIN here).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { after, before, test } from "node:test";
import { COACH_URL, ROOT, launch, screenshot } from "./helpers.mjs";

const BUNDLE = path.join(ROOT, "node_modules", "rasa-webchat", "lib", "index.js");

function page(sessionKey) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>rasa-webchat against the psoas coach</title></head>
<body>
<div id="webchat"></div>
<script src="/rasa-webchat.js"></script>
<script>
  WebChat.default({
    selector: "#webchat",
    socketUrl: ${JSON.stringify(COACH_URL)},
    socketPath: "/socket.io/",
    title: "Psoas coach",
    subtitle: "rasa-webchat",
    inputTextFieldHint: "Type a message...",
    initPayload: "/greet",
    embedded: true,
    showFullScreenButton: false,
    params: { storage: "session" },
    customData: { language: "en", key: ${JSON.stringify(sessionKey)} },
  }, null);
</script>
</body></html>`;
}

let server;
let origin;

before(async () => {
  const bundle = readFileSync(BUNDLE);
  server = createServer((request, response) => {
    if (request.url === "/rasa-webchat.js") {
      response.writeHead(200, { "content-type": "text/javascript" });
      response.end(bundle);
    } else if (request.url === "/" || request.url.startsWith("/?")) {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      response.end(page(String(Date.now())));
    } else {
      response.writeHead(404);
      response.end();
    }
  });
  const allowed = new URL(process.env.COMPAT_ORIGIN || "http://127.0.0.1:0");
  await new Promise((resolve) => server.listen(Number(allowed.port), "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${server.address().port}`;
});

after(() => server?.close());

test("rasa-webchat exchanges messages with the coach", async () => {
  const { browser, context } = await launch();
  try {
    const tab = await context.newPage();
    const errors = [];
    tab.on("pageerror", (error) => errors.push(error.message));
    await tab.goto(origin);
    const input = tab.locator(".rw-new-message");
    await input.waitFor({ timeout: 30000 });
    await input.fill("what is the psoas");
    await input.press("Enter");
    // rasa-webchat renders bot text in .rw-response
    const reply = tab.locator(".rw-response", { hasText: /muscle/i });
    await reply.first().waitFor({ timeout: 30000 });
    await screenshot(tab, "rasa-webchat");
    // quick replies come through in rasa-webchat's own format, as buttons
    await input.fill("hi");
    await input.press("Enter");
    const button = tab.locator(".rw-reply", { hasText: "How do I stretch it?" });
    await button.first().waitFor({ timeout: 30000 });
    await button.first().click();
    await tab.locator(".rw-response", { hasText: /right side first/i }).first().waitFor({ timeout: 30000 });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
