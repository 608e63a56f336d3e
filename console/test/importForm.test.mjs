// The console's import form (src/importForm.ts): the fields as an ImportDatasetRequest, and the
// progress stream as a fraction and a line of text. No browser: esbuild bundles the module for Node.
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const bundle = await build({
  stdin: {
    contents: `export * from "./src/importForm.ts";
export { FieldError } from "./src/request.ts";
export { create } from "@bufbuild/protobuf";
export { ImportDatasetRequestSchema, ImportProgressSchema } from "./src/gen/deepeverest/v1/index_service_pb.ts";`,
    resolveDir: root,
    loader: "ts",
  },
  bundle: true,
  format: "esm",
  platform: "node",
  write: false,
  logLevel: "silent",
});
const m = await import(`data:text/javascript;base64,${Buffer.from(bundle.outputFiles[0].text).toString("base64")}`);

const fields = (over = {}) => ({ folder: " pets/train ", name: " pets ", inputShape: "3, 64,64", scale: "1/255", mean: "", std: "", replace: false, ...over });

describe("import form", () => {
  it("turns the fields into an image-folder request, as the CLI would send it", () => {
    const request = m.create(m.ImportDatasetRequestSchema, m.importRequest(fields({ mean: "0.485, 0.456,0.406", std: "0.229,0.224,0.225", replace: true })));
    assert.equal(request.imageFolder, "pets/train");
    assert.equal(request.name, "pets");
    assert.deepEqual(request.inputShape, [3n, 64n, 64n]);
    assert.equal(request.preprocessing.scale, 1 / 255);
    assert.deepEqual(request.preprocessing.mean, [0.485, 0.456, 0.406]);
    assert.deepEqual(request.preprocessing.std, [0.229, 0.224, 0.225]);
    assert.equal(request.replace, true);
    assert.equal(request.parts.length, 0, "an image folder has no parts");
  });

  it("leaves empty fields to the service: no shape, scale 0 (= 1), no mean or std", () => {
    const request = m.create(m.ImportDatasetRequestSchema, m.importRequest(fields({ inputShape: " ", scale: "", folder: "" })));
    assert.deepEqual(request.inputShape, []);
    assert.equal(request.preprocessing.scale, 0);
    assert.deepEqual(request.preprocessing.mean, []);
    assert.equal(request.imageFolder, "", "an empty folder goes to the service, which names what is missing");
  });

  it("passes values the service judges (a zero dimension, a zero std) through unchanged", () => {
    const request = m.importRequest(fields({ inputShape: "0,28,28", std: "0" }));
    assert.deepEqual(request.inputShape, [0n, 28n, 28n]);
    assert.deepEqual(request.preprocessing.std, [0]);
  });

  for (const [over, pattern] of [
    [{ inputShape: "1x28x28" }, /^input shape '1x28x28' is not a list of whole numbers/],
    [{ inputShape: "1,-28,28" }, /^input shape/],
    [{ scale: "1/0" }, /^scale '1\/0' is not a number or a fraction like 1\/255/],
    [{ scale: "abc" }, /^scale 'abc'/],
    [{ mean: "0.5,x" }, /^mean 'x'/],
    [{ std: "1/2/3" }, /^std '1\/2\/3'/],
  ]) {
    it(`refuses a field it cannot turn into a number: ${JSON.stringify(over)}`, () => {
      assert.throws(() => m.importRequest(fields(over)), (e) => e instanceof m.FieldError && e.field === "import" && pattern.test(e.message));
    });
  }

  it("measures progress by bytes read, then inputs, and ends at 1 with the dataset", () => {
    const progress = (init) => m.create(m.ImportProgressSchema, init);
    assert.equal(m.importFraction(progress({ bytesDone: 25n, bytesTotal: 100n, inputsDone: 1n, inputsTotal: 10n })), 0.25);
    assert.equal(m.importFraction(progress({ inputsDone: 3n, inputsTotal: 12n })), 0.25);
    assert.equal(m.importFraction(progress({})), 0);
    const last = progress({ bytesDone: 1n, bytesTotal: 100n, elapsedMs: 1500n, dataset: { name: "pets", count: 6n, inputShape: [3n, 64n, 64n], hasLabels: true, labels: [0, 1] } });
    assert.equal(m.importFraction(last), 1);
    assert.equal(m.importText(last, "pets"), "pets: imported 6 inputs [3, 64, 64], 2 labels in 1.50 s — selected above, queryable now.");
    assert.equal(
      m.importText(progress({ inputsDone: 1200n, inputsTotal: 5000n, partsDone: 1, partsTotal: 3, estimatedRemainingMs: -1n, message: "reading class 2 of 3" }), "pets"),
      "pets: 1,200 / 5,000 images, class 1 / 3 (reading class 2 of 3)",
    );
  });
});
