// Real services for the browser tests and the screenshots: both DeepEverest services as child
// processes on free loopback ports over a temporary data root holding the demo model and a slice
// of Fashion-MNIST, set up through the `deepeverest` CLI; Debian's Chromium driven by playwright-core.
import { spawn, execFile } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, rmSync, writeFileSync, copyFileSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { promisify } from "node:util";
import { chromium } from "playwright-core";

const execFileAsync = promisify(execFile);

export const consoleDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const repoRoot = resolve(consoleDir, "..");
const configuration = process.env.CONFIG ?? "Release";
// The built services and CLI: this checkout's, or those of BUILD_ROOT (another checkout).
const buildRoot = process.env.BUILD_ROOT ? resolve(process.env.BUILD_ROOT) : repoRoot;
const bin = (project, dll) => join(buildRoot, "src", project, "bin", configuration, "net10.0", dll);

export const fashionImages = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
export const fashionLabels = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";

/** Names the tests use. */
export const names = {
  model: "vgg",
  dataset: "fm",
  /** Indexed at set-up: 128x4x4 = 2,048 neurons. */
  indexedLayer: "/block4/block4.5/Relu_output_0",
  /** Left without an index: the page builds it. */
  buildLayer: "/block4/block4.2/Relu_output_0",
};

/** A free loopback port (the OS picks; released at once for the service to bind). */
export async function freePort() {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  server.close();
  await once(server, "close");
  return port;
}

/** The first `count` Fashion-MNIST test images as raw 28x28 bytes, with their labels. */
export function fashionSlice(count) {
  for (const file of [fashionImages, fashionLabels]) {
    if (!existsSync(file)) {
      throw new Error(`${file} is missing: apt-get install dataset-fashion-mnist (make setup does).`);
    }
  }
  const images = gunzipSync(readFileSync(fashionImages));
  const labels = gunzipSync(readFileSync(fashionLabels));
  return {
    count,
    image: (id) => images.subarray(16 + id * 784, 16 + (id + 1) * 784),
    label: (id) => labels[8 + id],
    /** idx files of the slice (uncompressed), header counts adjusted. */
    idx() {
      const imageFile = Buffer.from(images.subarray(0, 16 + count * 784));
      imageFile.writeUInt32BE(count, 4);
      const labelFile = Buffer.from(labels.subarray(0, 8 + count));
      labelFile.writeUInt32BE(count, 4);
      return { imageFile, labelFile };
    },
  };
}

class Service {
  constructor(name, process, grpcUrl, httpUrl) {
    this.name = name;
    this.process = process;
    this.grpcUrl = grpcUrl;
    this.httpUrl = httpUrl;
    this.output = "";
    process.stdout.on("data", (d) => (this.output += d));
    process.stderr.on("data", (d) => (this.output += d));
  }

  static async start(name, dll, dataRoot, extra) {
    if (!existsSync(dll)) {
      throw new Error(`${dll} is missing: build the solution first (make build).`);
    }
    const grpcUrl = `http://127.0.0.1:${await freePort()}`;
    const httpUrl = `http://127.0.0.1:${await freePort()}`;
    const args = [
      dll,
      "--DeepEverest:DataRoot", dataRoot,
      "--DeepEverest:Kernels", "Cpu",
      "--Kestrel:Endpoints:Grpc:Url", grpcUrl,
      "--Kestrel:Endpoints:Http:Url", httpUrl,
      ...extra,
    ];
    const child = spawn(process.env.DOTNET ?? "dotnet", args, { cwd: dirname(dll), stdio: ["ignore", "pipe", "pipe"] });
    const service = new Service(name, child, grpcUrl, httpUrl);
    await service.waitUntilUp();
    return service;
  }

  async waitUntilUp(timeoutMs = 90_000) {
    const start = Date.now();
    while (Date.now() - start < timeoutMs) {
      if (this.process.exitCode !== null) {
        throw new Error(`${this.name} exited with code ${this.process.exitCode}:\n${this.output}`);
      }
      try {
        const response = await fetch(`${this.httpUrl}/metrics`);
        if (response.ok) {
          return;
        }
      } catch {
        // Not listening yet.
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${this.name} did not answer on ${this.httpUrl} within ${timeoutMs} ms:\n${this.output}`);
  }

  async stop() {
    if (this.process.exitCode === null && this.process.signalCode === null) {
      this.process.kill("SIGTERM");
      const timer = setTimeout(() => this.process.kill("SIGKILL"), 10_000);
      await once(this.process, "exit").catch(() => undefined);
      clearTimeout(timer);
    }
  }
}

/**
 * Starts both services over a fresh data root with the demo model and `inputs` Fashion-MNIST test
 * images ("fm"), and indexes `names.indexedLayer`. The QueryService serves console/dist.
 */
export async function startStack({ inputs = 5_000, queryThreads = 1 } = {}) {
  const dataRoot = mkdtempSync(join(tmpdir(), "deepeverest-console-"));
  const stack = { dataRoot, index: null, query: null };
  try {
    copyFileSync(join(repoRoot, "models", "demo", "fashion_vgg.onnx"), join(dataRoot, "fashion_vgg.onnx"));
    const slice = fashionSlice(inputs);
    const { imageFile, labelFile } = slice.idx();
    writeFileSync(join(dataRoot, "images.idx"), imageFile);
    writeFileSync(join(dataRoot, "labels.idx"), labelFile);
    stack.slice = slice;

    stack.index = await Service.start("IndexService", bin("IndexService", "DeepEverest.IndexService.dll"), dataRoot, []);
    // The console as the QueryService serves it: from its own wwwroot (copied there by its build),
    // or from CONSOLE_PATH (e.g. console/dist while iterating on the page).
    const queryDll = bin("QueryService", "DeepEverest.QueryService.dll");
    const consolePath = process.env.CONSOLE_PATH ? resolve(process.env.CONSOLE_PATH) : join(dirname(queryDll), "wwwroot");
    if (!existsSync(join(consolePath, "index.html"))) {
      throw new Error(`${consolePath}/index.html is missing: build the console and the services (make build).`);
    }
    stack.query = await Service.start("QueryService", queryDll, dataRoot, [
      "--DeepEverest:Console:Path", consolePath,
      "--DeepEverest:Console:IndexServiceUrl", stack.index.httpUrl,
      // One inference thread: queries stay slow enough to cancel, and the shared machine stays usable.
      "--DeepEverest:Query:InferenceThreads", String(queryThreads),
    ]);
    stack.cli = (...args) => cli(stack, ...args);
    await stack.cli("models", "add", "--name", names.model, "--path", "fashion_vgg.onnx");
    await stack.cli(
      "datasets", "import", "--name", names.dataset,
      "--inputs", "images.idx", "--labels", "labels.idx",
      "--scale", "0.00392156862745098", "--input-shape", "1,28,28",
    );
    await stack.cli("index", "build", "--model", names.model, "--dataset", names.dataset, "--layer", names.indexedLayer);
    stack.stop = () => stopStack(stack);
    return stack;
  } catch (e) {
    await stopStack(stack);
    throw e;
  }
}

async function stopStack(stack) {
  await Promise.all([stack.query?.stop(), stack.index?.stop()]);
  rmSync(stack.dataRoot, { recursive: true, force: true });
}

/** Runs the CLI against the stack; returns its stdout. */
export async function cli(stack, ...args) {
  const dll = bin("Cli", "deepeverest.dll");
  try {
    const { stdout } = await execFileAsync(
      process.env.DOTNET ?? "dotnet",
      [dll, "--index-service", stack.index.grpcUrl, "--query-service", stack.query.grpcUrl, ...args],
      { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: "1" } },
    );
    return stdout;
  } catch (e) {
    throw new Error(`deepeverest ${args.join(" ")} failed: ${e.stderr || e.message}`);
  }
}

/** The value of a Prometheus metric (summed over its label sets), or null when absent. */
export async function metric(url, name) {
  const text = await (await fetch(`${url}/metrics`)).text();
  let found = null;
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m && m[1] === name) {
      found = (found ?? 0) + Number(m[3]);
    }
  }
  return found;
}

/** Debian's Chromium, headless, with the flags that work as root in a container. */
export async function launchBrowser() {
  const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
  if (!existsSync(executablePath)) {
    throw new Error(`${executablePath} is missing: apt-get install chromium (make test does).`);
  }
  return chromium.launch({
    executablePath,
    args: ["--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update"],
  });
}

/** A page that records console errors, uncaught exceptions and failed requests. */
export async function openPage(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, ...options });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") {
      problems.push(`console.${message.type()}: ${message.text()}`);
    }
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) => {
    const failure = request.failure()?.errorText ?? "";
    // A cancelled query aborts its fetch on purpose.
    if (!/ERR_ABORTED|NS_BINDING_ABORTED/.test(failure)) {
      problems.push(`request failed: ${request.url()} ${failure}`);
    }
  });
  return { context, page, problems };
}
