// The web console in a real browser (Debian's Chromium via playwright-core) against the real
// services on loopback: the acceptance list of issue 10. One stack, one browser, one page.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { PNG } from "pngjs";
import { labelNames, launchBrowser, metric, names, openPage, startStack } from "./harness.mjs";

let stack;
let browser;
let page;
let problems;
let scratch;

/** Waits until the run in the status line is over; returns its state. */
async function runEnd(timeout = 120_000) {
  await page.waitForSelector("#status-pill.done, #status-pill.error, #status-pill.cancelled", { timeout });
  return page.$eval("#status-pill", (el) => el.className.replace("pill", "").trim());
}

/** The cards of the first (or only) run, in DOM order. */
function cards(runIndex = 0) {
  return page.$$eval(
    "#runs .run",
    (runs, i) =>
      [...runs[i].querySelectorAll(".card")].map((c) => ({
        id: Number(c.dataset.id),
        rank: Number(c.dataset.rank),
        final: c.dataset.final === "true",
        score: c.dataset.score === "" ? NaN : Number(c.dataset.score),
        label: c.querySelector(".label")?.textContent ?? "",
      })),
    runIndex,
  );
}

async function open(search = "") {
  await page.goto(`${stack.query.httpUrl}/${search}`);
  await page.waitForSelector(`#layer option[data-indexed="true"]`, { state: "attached" });
}

async function setTarget(id) {
  await page.fill("#target-id", String(id));
  await page.press("#target-id", "Enter");
}

async function setStrategy(strategy) {
  await page.selectOption("#strategy", strategy);
}

async function setAdvanced(batch) {
  await page.evaluate(() => (document.querySelector("details.advanced").open = true));
  await page.fill("#batch-size", String(batch));
}

before(async () => {
  scratch = mkdtempSync(join(tmpdir(), "deepeverest-console-test-"));
  stack = await startStack();
  browser = await launchBrowser();
  ({ page, problems } = await openPage(browser));
});

after(async () => {
  await browser?.close();
  await stack?.stop();
  if (scratch) {
    rmSync(scratch, { recursive: true, force: true });
  }
});

describe("web console", () => {
  it("loads without console errors and lists the test index", async () => {
    await open();
    assert.equal(await page.$eval("#model", (s) => s.value), names.model);
    assert.equal(await page.$eval("#dataset", (s) => s.value), names.dataset);
    assert.equal(await page.$eval("#layer", (s) => s.value), names.indexedLayer, "the indexed layer is selected first");
    const indexed = await page.$$eval(`#layer option[data-indexed="true"]`, (o) => o.map((x) => x.value));
    assert.deepEqual(indexed, [names.indexedLayer]);
    const info = await page.textContent("#layer-info");
    assert.match(info, /indexed/);
    assert.match(info, /16 partitions/);
    assert.match(info, /of full materialization/);
    assert.ok(await page.isHidden("#build"), "an indexed layer offers no build");
    // Only a link or a reload (a URL that holds a query) runs one; a fresh page waits for the user.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(await page.$$eval("#runs .run", (r) => r.length), 0, "a fresh page runs no query");
    assert.deepEqual(problems, []);
  });

  it("streams a similar query: provisional cards first, then the CLI's exact answer", async () => {
    await open();
    await setTarget(17);
    await page.fill("#k", "20");
    await setAdvanced(4);
    // Record the grid after every update: which cards show, final or not, and which DOM node shows each.
    await page.evaluate(() => {
      const w = window;
      w.__states = [];
      let node = 0;
      const runs = document.getElementById("runs");
      new MutationObserver(() => {
        const grid = runs.querySelector(".grid");
        if (!grid || w.__states.at(-1)?.n === grid.dataset.updates) {
          return;
        }
        w.__states.push({
          n: grid.dataset.updates,
          cards: [...grid.querySelectorAll(".card")].map((c) => {
            c.__node ??= ++node;
            return { id: c.dataset.id, final: c.dataset.final === "true", provisional: c.classList.contains("provisional"), node: c.__node };
          }),
        });
      }).observe(runs, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-updates"] });
    });
    await page.click("#run");
    assert.equal(await runEnd(), "done");
    const states = await page.evaluate(() => window.__states);
    assert.ok(states.length >= 3, `at least three updates drawn (got ${states.length})`);
    const firstProvisional = states.findIndex((s) => s.cards.some((c) => !c.final && c.provisional));
    assert.ok(firstProvisional >= 0 && firstProvisional < states.length - 1, "provisional cards are drawn before the end");
    const last = states.at(-1);
    assert.equal(last.cards.length, 20);
    assert.ok(last.cards.every((c) => c.final && !c.provisional), "every card is final at the end");
    // Some card turned final in place: the same DOM node, provisional first, final later.
    const turned = last.cards.filter((c) => states.some((s) => s.cards.some((p) => p.node === c.node && !p.final)));
    assert.ok(turned.length > 0, "a provisional card turns final in place");

    const json = await stack.cli(
      "query", "similar", "--model", names.model, "--dataset", names.dataset, "--layer", names.indexedLayer,
      "--target", "17", "--group", "top:3", "--k", "20", "--batch-size", "4", "--json",
    );
    const updates = json.trim().split("\n").map((line) => JSON.parse(line));
    const answer = updates.at(-1);
    assert.equal(answer.done, true);
    const grid = await cards();
    assert.deepEqual(
      grid.map((c) => [c.id, c.score]),
      answer.hits.map((h) => [Number(h.inputId), Number(h.score ?? 0)]),
      "the page's final grid (ids and scores) equals the CLI's --json answer",
    );
    assert.deepEqual(grid.map((c) => c.rank), grid.map((_, i) => i + 1));
    assert.deepEqual(
      grid.map((c) => c.label),
      grid.map((c) => labelNames[stack.slice.label(c.id)]),
      "cards name each input's label as the dataset was imported (--label-names)",
    );
    // The URL holds the query.
    const url = new URL(page.url());
    assert.equal(url.searchParams.get("target"), "17");
    assert.equal(url.searchParams.get("batch"), "4");
  });

  it("reproduces the query from its URL on reload", async () => {
    const previous = await cards();
    await page.reload();
    await page.waitForSelector(`#layer option[data-indexed="true"]`, { state: "attached" });
    assert.equal(await runEnd(), "done");
    assert.deepEqual(await cards(), previous);
    assert.equal(await page.inputValue("#target-id"), "17");
    assert.equal(await page.inputValue("#batch-size"), "4");
  });

  it("takes an uploaded PNG of a dataset image as the target: rank 1 at distance 0", async () => {
    const id = 123;
    const png = new PNG({ width: 28, height: 28, colorType: 0, inputColorType: 0, bitDepth: 8 });
    png.data = Buffer.from(stack.slice.image(id));
    const file = join(scratch, "input-123.png");
    writeFileSync(file, PNG.sync.write(png, { colorType: 0, inputColorType: 0 }));

    await open();
    await page.setInputFiles("#target-file", file);
    await page.waitForSelector("#target-preview canvas");
    assert.match(await page.textContent("#target-preview"), /input-123\.png/);
    assert.equal(await page.isDisabled("#include-target"), true, "an upload has no dataset id to include");
    await page.fill("#k", "5");
    await page.click("#run");
    assert.equal(await runEnd(), "done");
    const grid = await cards();
    assert.equal(grid[0].id, id);
    assert.equal(grid[0].score, 0);
    assert.ok(new URL(page.url()).searchParams.get("target").startsWith("pixels:"), "small uploads travel in the URL");
  });

  it("cancels a ReprocessAll query: the stream ends, the service stops it, the next query answers", async () => {
    await open();
    await setTarget(5);
    await setStrategy("reprocess");
    await page.click("#run");
    await page.waitForSelector("#runs .grid[data-updates='1']", { state: "attached" });
    assert.equal(await page.$eval("#status-pill", (el) => el.classList.contains("running")), true, "the query is still running");
    await page.click("#cancel");
    assert.equal(await runEnd(), "cancelled");
    assert.equal(await page.$eval("#runs .run", (el) => el.dataset.state), "cancelled");
    let running = await metric(stack.query.httpUrl, "deepeverest_queries_running");
    for (let i = 0; i < 100 && running !== 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      running = await metric(stack.query.httpUrl, "deepeverest_queries_running");
    }
    assert.equal(running, 0, "the service's count of running queries returns to 0");
    await setStrategy("bounds");
    await page.click("#run");
    assert.equal(await runEnd(), "done");
    assert.equal((await cards()).length, 20);
  });

  it("builds an index from the page with live progress, then queries it", async () => {
    await open();
    await page.selectOption("#layer", names.buildLayer);
    await page.waitForSelector("#build:not([hidden])");
    assert.match(await page.textContent("#layer-info"), /not indexed/);
    await page.evaluate(() => {
      const w = window;
      w.__progress = [];
      const bar = document.getElementById("build-bar");
      new MutationObserver(() => w.__progress.push({ value: bar.value, phase: bar.dataset.phase, text: document.getElementById("build-text").textContent })).observe(
        document.getElementById("build-progress"),
        { subtree: true, childList: true, characterData: true, attributes: true },
      );
    });
    await page.click("#build-start");
    await page.waitForFunction(() => /queryable now/.test(document.getElementById("build-text").textContent), null, { timeout: 180_000 });
    const progress = await page.evaluate(() => window.__progress);
    assert.ok(progress.some((p) => p.phase === "INFERENCE" && p.value < 1), "progress during inference is shown");
    assert.ok(progress.some((p) => p.value === 1 || p.phase === "DONE"), "the bar reaches the end");
    assert.equal(await page.$eval("#layer", (s) => s.value), names.buildLayer, "the layer stays selected");
    assert.equal(await page.$eval(`#layer option[value="${names.buildLayer}"]`, (o) => o.dataset.indexed), "true");
    assert.match(await page.textContent("#layer-info"), /indexed/);

    await setTarget(9);
    await page.click("#run");
    assert.equal(await runEnd(), "done");
    assert.match(await page.textContent("#runs .considered"), /bounds/, "answered by the bounds strategy from the new index");
  });

  it("shows the server's message for k = 0 next to k, and keeps working", async () => {
    await open();
    await setTarget(2);
    await page.fill("#k", "0");
    await page.click("#run");
    assert.equal(await runEnd(), "error");
    const message = await page.textContent("#error-k");
    assert.match(message, /^k must be in 1\.\.\d+ \(got 0\)/);
    assert.ok(await page.isVisible("#error-k"));
    assert.equal(await page.$eval("#k", (el) => el.getAttribute("aria-invalid")), "true");
    await page.fill("#k", "3");
    await page.keyboard.press("Control+Enter");
    assert.equal(await runEnd(), "done");
    assert.equal(await page.isVisible("#error-k"), false, "the message goes once the query answers");
    assert.equal((await cards()).length, 3);
  });

  it("compares two strategies side by side with identical answers", async () => {
    await open();
    await setTarget(40);
    await page.fill("#k", "10");
    await page.selectOption("#compare-with", "nta");
    await page.click("#compare");
    assert.equal(await runEnd(), "done");
    assert.equal(await page.$$eval("#runs .run", (r) => r.length), 2);
    const summary = await page.textContent("#compare-summary");
    assert.match(summary, /identical answers/);
    assert.match(summary, /inferred/);
    assert.deepEqual((await cards(0)).map((c) => c.id), (await cards(1)).map((c) => c.id));
    assert.equal(new URL(page.url()).searchParams.get("compare"), "nta");
  });

  it("queries a channel picked on the target's activation map", async () => {
    await open();
    await setTarget(7);
    await page.check("input[name=group-mode][value=pick]");
    await page.waitForSelector("#maps-grid .map[data-channel='3'] .map-title");
    await page.click("#maps-grid .map[data-channel='3'] .map-title");
    assert.match(await page.textContent("#chips"), /channel 3/);
    await page.click("#run");
    assert.equal(await runEnd(), "done");
    assert.match(await page.textContent("#runs .considered"), /group of 16/);
    assert.equal(new URL(page.url()).searchParams.get("group"), "pick:c3");
  });

  it("imports an image folder from the page with progress, then queries the new dataset", async () => {
    // torchvision's ImageFolder layout under the data root: two classes of three dataset images.
    const classes = ["a-top", "b-shoe"];
    for (const [c, name] of classes.entries()) {
      mkdirSync(join(stack.dataRoot, "pictures", name), { recursive: true });
      for (let i = 0; i < 3; i++) {
        const png = new PNG({ width: 28, height: 28, colorType: 0, inputColorType: 0, bitDepth: 8 });
        png.data = Buffer.from(stack.slice.image(10 * c + i));
        writeFileSync(join(stack.dataRoot, "pictures", name, `${i}.png`), PNG.sync.write(png, { colorType: 0, inputColorType: 0 }));
      }
    }
    await open();
    await page.click("#import summary");
    await page.fill("#import-name", "pictures");
    await page.fill("#import-shape", "1,28,28");
    await page.fill("#import-scale", "1/255");

    // The service's message, as is, for a folder that does not exist.
    await page.fill("#import-folder", "no-such-folder");
    await page.press("#import-folder", "Enter");
    await page.waitForSelector("#error-import.visible");
    const error = await page.textContent("#error-import");
    assert.match(error, /^NotFound: .*no-such-folder/);
    assert.ok(!error.includes(stack.dataRoot), "the message does not show the data root");
    assert.equal(await page.textContent("#import-text"), "import failed; nothing was stored.");
    assert.equal(await page.$$eval("#runs .run", (r) => r.length), 0, "Enter in the import panel runs no query");

    await page.evaluate(() => {
      const w = window;
      w.__importBar = [];
      const bar = document.getElementById("import-bar");
      new MutationObserver(() => w.__importBar.push(bar.value)).observe(document.getElementById("import-progress"), { subtree: true, childList: true, characterData: true, attributes: true });
    });
    await page.fill("#import-folder", "pictures");
    await page.click("#import-start");
    await page.waitForFunction(() => /queryable now/.test(document.getElementById("import-text").textContent), null, { timeout: 60_000 });
    assert.match(await page.textContent("#import-text"), /^pictures: imported 6 inputs \[1, 28, 28\], 2 labels/);
    assert.equal(await page.isVisible("#error-import"), false, "the earlier error is gone");
    assert.ok((await page.evaluate(() => window.__importBar)).includes(1), "the progress bar reaches the end");
    assert.equal(await page.$eval("#dataset", (s) => s.value), "pictures", "the catalog is reloaded with the new dataset selected");
    assert.match(await page.$eval("#dataset", (s) => s.selectedOptions[0].textContent), /6 inputs \[1, 28, 28\]/);

    // Queryable at once: ReprocessAll needs no index; labels are the class folders' names.
    await setTarget(0);
    await page.fill("#k", "3");
    await setStrategy("reprocess");
    await page.click("#run");
    assert.equal(await runEnd(), "done");
    const grid = await cards();
    assert.equal(grid.length, 3);
    assert.deepEqual(grid.map((c) => c.label), grid.map((c) => classes[Math.floor(c.id / 3)]));
  });

  it("made the page log no console errors and no failed requests", () => {
    assert.deepEqual(problems, []);
  });
});
