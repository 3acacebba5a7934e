// The web widget through the scaled profile's balancer (run by
// tests/integration/test_scale.py against coach.tools.cluster): the Rasa
// replica holding the page's socket.io connection and its routine's timers is
// killed mid-hold (kill -9 of its process group); the widget reconnects
// through the balancer to the other replica, which resumes the routine from
// the tracker, and the hold ends with its cue. REPLICA_PGIDS maps each
// replica's cookie value to its process group.

import assert from "node:assert/strict";
import { test } from "node:test";
import { COACH_URL, launch, openWidget, screenshot, send, waitForBot } from "../helpers.mjs";

const PGIDS = JSON.parse(process.env.REPLICA_PGIDS || "{}");

async function replicaOf(context) {
  const cookies = await context.cookies(COACH_URL);
  return cookies.find((cookie) => cookie.name === "coach_replica")?.value;
}

test("a replica lost mid-hold: the widget moves to another and the routine carries on", async () => {
  const { browser, context } = await launch();
  try {
    const page = await openWidget(context);
    await send(page, "make it 25 seconds");
    await waitForBot(page, "25 seconds");
    await send(page, "guide me through the psoas stretch");
    await page.locator("#routine").waitFor({ state: "visible", timeout: 30000 });
    await page.click("#control-next");
    await page.waitForFunction(() => window.psoasCoach.routine?.hold_seconds > 0, null, { timeout: 30000 });
    const replica = await replicaOf(context);
    assert.ok(replica in PGIDS, `the page is on a replica (${replica})`);

    const killedAt = Date.now();
    process.kill(-PGIDS[replica], "SIGKILL");
    await page.locator('#connection[data-state="offline"]').waitFor({ timeout: 15000 });
    await screenshot(page, "failover-reconnecting");
    // the other replica picks the routine up from the tracker
    await waitForBot(page, "seconds left", 30000);
    const gap = (Date.now() - killedAt) / 1000;
    console.log(`from the kill to the resumed routine: ${gap.toFixed(1)} s`);
    assert.notEqual(await replicaOf(context), replica, "the balancer moved the page");
    assert.equal(await page.evaluate(() => window.psoasCoach.routine?.status), "running");
    await waitForBot(page, "release", 40000);
    await screenshot(page, "failover-resumed");
  } finally {
    await browser.close();
  }
});
