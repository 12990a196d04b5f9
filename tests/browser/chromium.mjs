// Debian's Chromium driven by playwright-core, for the browser checks. The npm packages live in
// var/browser-check (tests/browser/setup.sh), outside this folder: NODE_MODULES_DIR points there.
import { createRequire } from "node:module";
import path from "node:path";

export const modules = process.env.NODE_MODULES_DIR ?? path.resolve("node_modules");

export function launch() {
  const { chromium } = createRequire(path.join(modules, "index.js"))("playwright-core");
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run",
    ],
  });
}
