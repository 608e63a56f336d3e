// The console's parser of the shared group syntax (src/groupSyntax.ts) against
// tests/fixtures/group-syntax.json, the table the C# and Python parsers read too. No browser:
// esbuild bundles the module for Node.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const fixture = JSON.parse(readFileSync(join(root, "..", "tests", "fixtures", "group-syntax.json"), "utf8"));

const bundle = await build({
  stdin: {
    contents: `export * from "./src/groupSyntax.ts";
export { groupFromText, groupToText } from "./src/state.ts";
export { create, equals, fromJson, toJson } from "@bufbuild/protobuf";
export { NeuronGroupSchema } from "./src/gen/deepeverest/v1/query_service_pb.ts";`,
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

describe("group syntax", () => {
  for (const c of fixture.valid) {
    it(`parses ${JSON.stringify(c.text)} into the fixture's message`, () => {
      const expected = m.fromJson(m.NeuronGroupSchema, c.group);
      const group = m.parseGroup(c.text);
      assert.ok(m.equals(m.NeuronGroupSchema, group, expected), JSON.stringify(m.toJson(m.NeuronGroupSchema, group)));
      assert.equal(m.formatGroup(group), c.canonical);
      assert.ok(m.equals(m.NeuronGroupSchema, m.parseGroup(c.canonical), group));
    });
  }

  for (const text of fixture.invalid) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      assert.throws(() => m.parseGroup(text), (e) => e instanceof m.GroupSyntaxError && e.message.includes("is not a neuron group"));
    });
  }

  it("reads the console's URL groups in the shared syntax, and old pick: links", () => {
    assert.deepEqual(m.groupFromText("top:4"), { kind: "top", m: 4 });
    assert.deepEqual(m.groupFromText("neurons:7,3"), { kind: "pick", channels: [], neurons: [7, 3] });
    assert.deepEqual(m.groupFromText("rect:5,*,*"), { kind: "pick", channels: [5], neurons: [] });
    assert.deepEqual(m.groupFromText("pick:c5,n123"), { kind: "pick", channels: [5], neurons: [123] });
    assert.equal(m.groupFromText("rect:x"), null);
    assert.equal(m.groupToText({ kind: "pick", channels: [], neurons: [7, 3] }), "neurons:7,3");
    assert.equal(m.groupToText({ kind: "top", m: 4 }), "top:4");
  });
});
