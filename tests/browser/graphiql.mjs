// Opens the API's GraphiQL page in headless Chromium, runs one query with the Run button, and
// prints the response pane as JSON: {"response": "..."}. GraphiQL's page loads its scripts from
// unpkg.com; this machine cannot reach it, so those requests are answered from the same package
// versions installed from the npm registry (tests/browser/package.json). The page, the query, the
// fetch to /graphql and the rendering are all real.
//
// usage: node graphiql.mjs <base url> <api key> <query> <text expected in the response> <screenshot.png>
import { readFile } from "node:fs/promises";
import path from "node:path";
import { launch, modules } from "./chromium.mjs";

const [base, apiKey, query, expected, screenshot] = process.argv.slice(2);
const browser = await launch();
try {
  const page = await browser.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(String(error)));
  await page.route("https://unpkg.com/**", async (route) => {
    const url = new URL(route.request().url());
    const match = url.pathname.match(/^\/((?:@[^/]+\/)?[^@/]+)@[^/]+\/(.+)$/);
    if (!match) return route.abort();
    const file = path.join(modules, match[1], match[2]);
    try {
      const body = await readFile(file);
      const contentType = file.endsWith(".css") ? "text/css" : "application/javascript";
      await route.fulfill({ body, contentType, headers: { "access-control-allow-origin": "*" } });
    } catch {
      problems.push(`not installed: ${url.href}`);
      await route.abort();
    }
  });
  const headers = JSON.stringify({ "X-API-Key": apiKey });
  await page.goto(`${base}/graphql?q=${encodeURIComponent(query)}&headers=${encodeURIComponent(headers)}`);
  await page.waitForSelector(".graphiql-execute-button", { timeout: 60000 });
  await page.click(".graphiql-execute-button");
  await page.waitForFunction(
    (text) => (document.querySelector(".graphiql-response")?.innerText ?? "").includes(text),
    expected,
    { timeout: 60000 },
  );
  const response = await page.evaluate(() => document.querySelector(".graphiql-response").innerText);
  await page.screenshot({ path: screenshot });
  console.log(JSON.stringify({ response, problems }));
} finally {
  await browser.close();
}
