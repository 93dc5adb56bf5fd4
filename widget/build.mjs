// Build src/ into ../surveyhub/static/widget.js, the file the server serves at /widget.js.
// `node build.mjs --check` builds in memory and fails if the committed file differs (CI runs it).
import {readFileSync, writeFileSync} from "node:fs";
import {fileURLToPath} from "node:url";
import * as esbuild from "esbuild";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const outfile = here("../surveyhub/static/widget.js");
const {version} = JSON.parse(readFileSync(here("package.json"), "utf8"));

const css = await esbuild.transform(readFileSync(here("src/style.css"), "utf8"), {loader: "css", minify: true});
const result = await esbuild.build({
  entryPoints: [here("src/index.js")],
  bundle: true,
  format: "iife",
  minify: true,
  target: ["chrome105", "firefox121", "safari16"],
  legalComments: "none",
  banner: {js: `/* SurveyHub widget ${version}: built from widget/src by widget/build.mjs; do not edit. */`},
  define: {__CSS__: JSON.stringify(css.code.trim()), __VERSION__: JSON.stringify(version)},
  write: false,
  outfile,
});
const built = result.outputFiles[0].text;

if (process.argv.includes("--check")) {
  let committed = "";
  try {
    committed = readFileSync(outfile, "utf8");
  } catch { /* missing: differs */ }
  if (committed !== built) {
    console.error("surveyhub/static/widget.js is not what widget/src builds: run `npm run build` in widget/ and commit.");
    process.exit(1);
  }
  console.log("surveyhub/static/widget.js matches widget/src.");
} else {
  writeFileSync(outfile, built);
  console.log(`wrote ${outfile} (${built.length} bytes)`);
}
