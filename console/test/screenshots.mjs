// Regenerates docs/console-streaming.png and docs/console-final.png: the console answering a query
// against real services, caught mid-stream and at the end. `make screenshots` runs it.
//
// The query is run once first (cold cache, so the second run repeats it update for update, and
// every picture it shows is loaded by then). During the second run the QueryService is paused
// (SIGSTOP) as soon as the page shows final cards, exact-but-provisional ones and ones known only
// by an interval, and resumed once the picture is taken.
import { join } from "node:path";
import { launchBrowser, names, openPage, repoRoot, startStack } from "./harness.mjs";

// The inputs that most activate input 17's three strongest neurons, verified one input per batch.
const search = `?layer=${encodeURIComponent(names.indexedLayer)}&target=17&q=highest&k=20&batch=1&nocache=1`;

const stack = await startStack();
let browser;
try {
  browser = await launchBrowser();
  const { page, problems } = await openPage(browser, { viewport: { width: 1440, height: 960 } });
  await page.goto(`${stack.query.httpUrl}/${search}`);
  await page.waitForSelector("#status-pill.done", { timeout: 120_000 });
  await page.evaluate(() => (document.getElementById("maps").open = true));
  await page.waitForSelector("#maps-grid canvas");
  await page.waitForTimeout(1500);

  let caught = false;
  for (let attempt = 0; attempt < 5 && !caught; attempt++) {
    await page.click("#run");
    try {
      await page.waitForFunction(
        () => {
          const cards = [...document.querySelectorAll("#runs .card")];
          const finals = cards.filter((c) => c.dataset.final === "true").length;
          const intervals = cards.filter((c) => c.dataset.score === "").length;
          return finals >= 1 && intervals >= 12;
        },
        null,
        { polling: "raf", timeout: 60_000 },
      );
      stack.query.process.kill("SIGSTOP");
    } catch {
      continue;
    }
    try {
      await page.waitForTimeout(300);
      const state = await page.$eval("#status-pill", (el) => el.className);
      if (/running/.test(state)) {
        await page.screenshot({ path: join(repoRoot, "docs", "console-streaming.png") });
        caught = true;
      }
    } finally {
      stack.query.process.kill("SIGCONT");
    }
    await page.waitForSelector("#status-pill.done", { timeout: 120_000 });
  }
  if (!caught) {
    throw new Error("no mid-stream state was caught in five runs");
  }
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
