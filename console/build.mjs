// Bundles the console into dist/: one ES module (app.js + its source map), the page and the styles.
// `node build.mjs --watch` rebuilds on change (serve dist/ with the QueryService's
// DeepEverest:Console:Path pointing at it and reload the page).
import { build, context } from "esbuild";
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, "dist");
const watch = process.argv.includes("--watch");

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
cpSync(join(root, "static"), dist, { recursive: true });

/** @type {import("esbuild").BuildOptions} */
const options = {
  entryPoints: [join(root, "src", "main.ts")],
  outfile: join(dist, "app.js"),
  bundle: true,
  format: "esm",
  target: ["chrome110", "firefox110", "safari16"],
  minify: !watch,
  sourcemap: true,
  legalComments: "linked",
  logLevel: "info",
};

if (watch) {
  const ctx = await context(options);
  await ctx.watch();
} else {
  await build(options);
}
