// A message whose replica dies before it answers (run by
// tests/integration/test_scale.py against coach.tools.cluster): the action
// servers are frozen (SIGSTOP) so that the page's message is still being
// handled when its replica is killed; the widget says the message was not
// answered and asks to send it again (it does not resend it itself: the
// replica may have acted on it), and once back on the other replica, it talks
// as before. ACTION_PGIDS and REPLICA_PGIDS map names to process groups.

import assert from "node:assert/strict";
import { test } from "node:test";
import { COACH_URL, launch, openWidget, screenshot, send, waitForBot } from "../helpers.mjs";

const REPLICAS = JSON.parse(process.env.REPLICA_PGIDS || "{}");
const ACTIONS = JSON.parse(process.env.ACTION_PGIDS || "{}");

test("a message its replica died under is reported, never met with silence", async () => {
  const { browser, context } = await launch();
  try {
    const page = await openWidget(context);
    await send(page, "what is the psoas");
    await waitForBot(page, "psoas");
    const replica = (await context.cookies(COACH_URL)).find((c) => c.name === "coach_replica")?.value;
    assert.ok(replica in REPLICAS, `the page is on a replica (${replica})`);
    const frozen = Object.values(ACTIONS);
    for (const pgid of frozen) process.kill(-pgid, "SIGSTOP");
    try {
      await send(page, "where is the psoas");
      await page.waitForTimeout(1500);
      process.kill(-REPLICAS[replica], "SIGKILL");
    } finally {
      for (const pgid of frozen) process.kill(-pgid, "SIGCONT");
    }
    await page.locator("li.message.notice", { hasText: "before the coach answered" }).waitFor({ timeout: 15000 });
    await page.locator('#connection[data-state="online"]').waitFor({ timeout: 30000 });
    await screenshot(page, "failover-unanswered");
    await send(page, "where is the psoas");
    await waitForBot(page, "lower part of your spine", 30000);
  } finally {
    await browser.close();
  }
});
