#!/usr/bin/env node
// Build the portal's front-end assets into static/build/ (served at /assets/build/).
//
//   static/src/app.scss                              -> static/build/app.css
//   govuk-frontend/dist/govuk/govuk-frontend.min.js  -> static/build/govuk-frontend.min.js (+ .map)
//   images the compiled CSS refers to under /assets/build/images/ -> static/build/images/
//
// Runs offline: everything comes from node_modules. Exits non-zero on any
// error, including a url() in the CSS that points at a file we did not ship,
// or any trace of the GDS Transport typeface or the crown/crest.
//
// Usage: npm run build   (or: node scripts/build-assets.mjs)

import { copyFile, mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const srcDir = path.join(root, "static", "src");
const outDir = path.join(root, "static", "build");
const govukDist = path.join(root, "node_modules", "govuk-frontend", "dist", "govuk");
const govukAssets = path.join(govukDist, "assets");

// Where the CSS expects its assets to be served from: $govuk-assets-path in app.scss.
const ASSETS_URL_PREFIX = "/assets/build/";

// Never ship these, even if something in the CSS asks for them.
const FORBIDDEN_FILES = /crest|crown|royal-arms|\.woff2?$/i;
const FORBIDDEN_CSS = [/GDS Transport/i, /govuk-crest/i, /crown/i, /royal-arms/i];

class BuildError extends Error {}

function fail(message) {
  throw new BuildError(message);
}

function kib(bytes) {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

async function compileCss() {
  const entry = path.join(srcDir, "app.scss");
  const warnings = [];
  let deprecations = 0;

  const result = sass.compile(entry, {
    loadPaths: [path.join(root, "node_modules")],
    style: "compressed",
    sourceMap: false,
    // Don't report deprecations coming from govuk-frontend itself.
    quietDeps: true,
    // Collect our own warnings instead of letting Sass print them one by one.
    logger: {
      warn(message, { deprecation, span }) {
        if (deprecation) {
          deprecations += 1;
          return;
        }
        const where = span?.url ? ` (${path.relative(root, fileURLToPath(span.url))}:${span.start.line + 1})` : "";
        warnings.push(`${message.split("\n")[0]}${where}`);
      },
      debug() {},
    },
  });

  const css = result.css;
  for (const pattern of FORBIDDEN_CSS) {
    if (pattern.test(css)) fail(`compiled CSS contains ${pattern} – GOV.UK brand assets must not be shipped`);
  }
  return { css, warnings, deprecations };
}

// Every url(...) in the CSS, minus data: URIs and fragment-only references.
function cssUrls(css) {
  const urls = new Set();
  for (const match of css.matchAll(/url\(\s*(['"]?)([^'")]+)\1\s*\)/g)) {
    const url = match[2].trim();
    if (url.startsWith("data:") || url.startsWith("#")) continue;
    urls.add(url);
  }
  return [...urls];
}

// Copy each asset the CSS refers to (under /assets/build/) from govuk-frontend's
// dist/govuk/assets/, and fail on anything we cannot resolve.
async function copyReferencedAssets(css) {
  const copied = [];
  for (const url of cssUrls(css)) {
    const clean = url.split(/[?#]/)[0];
    if (!clean.startsWith(ASSETS_URL_PREFIX)) {
      fail(`CSS refers to ${url}, which is outside ${ASSETS_URL_PREFIX}`);
    }
    const relative = clean.slice(ASSETS_URL_PREFIX.length); // e.g. images/foo.svg
    if (FORBIDDEN_FILES.test(relative)) fail(`CSS refers to forbidden asset ${url}`);
    const target = path.join(outDir, relative);
    if (!target.startsWith(outDir + path.sep)) fail(`CSS asset path escapes static/build: ${url}`);
    const source = path.join(govukAssets, relative);
    if (!existsSync(source)) fail(`CSS refers to ${url}, but ${path.relative(root, source)} does not exist`);
    await mkdir(path.dirname(target), { recursive: true });
    await copyFile(source, target);
    copied.push(relative);
  }
  return copied;
}

async function copyJs() {
  const names = ["govuk-frontend.min.js", "govuk-frontend.min.js.map"];
  let bytes = 0;
  for (const name of names) {
    const source = path.join(govukDist, name);
    if (!existsSync(source)) {
      if (name.endsWith(".map")) continue;
      fail(`${path.relative(root, source)} not found – run npm ci`);
    }
    await copyFile(source, path.join(outDir, name));
    if (!name.endsWith(".map")) bytes = (await stat(source)).size;
  }
  return bytes;
}

async function main() {
  if (!existsSync(govukDist)) fail("node_modules/govuk-frontend is missing – run npm ci");

  // Start from a clean directory so nothing stale (or forbidden) lingers.
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });

  const { css, warnings, deprecations } = await compileCss();
  const cssPath = path.join(outDir, "app.css");
  await writeFile(cssPath, css + "\n");

  const images = await copyReferencedAssets(css);
  const jsBytes = await copyJs();

  // Belt and braces: nothing forbidden made it into static/build/.
  const shipped = await readdir(outDir, { recursive: true });
  const forbidden = shipped.filter((file) => FORBIDDEN_FILES.test(file));
  if (forbidden.length) fail(`forbidden files in static/build/: ${forbidden.join(", ")}`);

  for (const warning of warnings) console.warn(`build-assets: warning: ${warning}`);
  const notes = [];
  if (images.length) notes.push(`${images.length} image(s)`);
  if (deprecations) notes.push(`${deprecations} Sass deprecation(s) suppressed`);
  console.log(
    `build-assets: app.css ${kib(Buffer.byteLength(css) + 1)}, govuk-frontend.min.js ${kib(jsBytes)}` +
      (notes.length ? `, ${notes.join(", ")}` : "") +
      " -> static/build/",
  );
}

main().catch((error) => {
  if (error instanceof BuildError) {
    console.error(`build-assets: error: ${error.message}`);
  } else {
    // Sass errors carry a formatted message with the source location.
    console.error(`build-assets: error: ${error.message ?? error}`);
  }
  process.exit(1);
});
