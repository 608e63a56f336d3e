// Regenerates docs/console-streaming.png and docs/console-final.png: the console answering a query
// against real services, caught mid-stream and at the end. `make screenshots` runs it.
//
// The query is run once first (so every picture it shows is loaded), then again with the page's
// download bandwidth throttled (Chromium's network emulation): the service answers as usual, but
// the updates reach the page slowly enough that a state with both final and provisional cards
// stays on screen for a screenshot.
import { join } from "node:path";
import { launchBrowser, names, openPage, repoRoot, startStack } from "./harness.mjs";

const search = `?layer=${encodeURIComponent(names.indexedLayer)}&target=17&k=20&batch=4&nocache=1`;

const stack = await startStack();
let browser;
try {
  browser = await launchBrowser();
  const { context, page, problems } = await openPage(browser, { viewport: { width: 1440, height: 960 } });
  await page.goto(`${stack.query.httpUrl}/${search}`);
  await page.waitForSelector("#status-pill.done", { timeout: 120_000 });
  await page.evaluate(() => (document.getElementById("maps").open = true));
  await page.waitForSelector("#maps-grid canvas");
  await page.waitForTimeout(1500);

  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: 2500, uploadThroughput: -1 });
  await page.click("#run");
  await page.waitForFunction(
    () => {
      const cards = [...document.querySelectorAll("#runs .card")];
      const finals = cards.filter((c) => c.dataset.final === "true").length;
      return finals > 0 && finals < cards.length;
    },
    null,
    { polling: "raf", timeout: 120_000 },
  );
  await page.screenshot({ path: join(repoRoot, "docs", "console-streaming.png") });
  await page.waitForSelector("#status-pill.done", { timeout: 120_000 });
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(repoRoot, "docs", "console-final.png") });
  if (problems.length > 0) {
    throw new Error(`the page reported problems:\n${problems.join("\n")}`);
  }
  console.log("wrote docs/console-streaming.png and docs/console-final.png");
} finally {
  await browser?.close();
  await stack.stop();
}
