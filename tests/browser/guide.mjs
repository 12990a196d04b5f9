// Plays the Affinity guide in the real Neo4j Browser (served by the test's Neo4j) in headless
// Chromium: connect, `:play <api>/guide`, check the first slide, click a query block (it goes to
// the editor), run it, and read the result frame. Prints what it saw as JSON on the last line
// (with "error", the page's text and the failed requests when a step did not happen).
//
// usage: node guide.mjs <neo4j http url> <bolt url> <user> <password> <guide url> <screenshot.png>
import { launch } from "./chromium.mjs";

const [browserBase, bolt, user, password, guideUrl, screenshot] = process.argv.slice(2);
const browser = await launch();
const seen = { steps: [] };
const step = (name) => seen.steps.push(name);
let page;
try {
  page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
  seen.network = [];
  page.on("requestfailed", (r) => seen.network.push(`failed ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
  page.on("response", (r) => { if (r.url().includes("/guide")) seen.network.push(`${r.status()} ${r.request().method()} ${r.url()}`); });
  page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") seen.network.push(`console ${m.text().slice(0, 200)}`); });
  await page.goto(`${browserBase}/browser/`);
  await page.waitForSelector("[data-testid='boltaddress']", { timeout: 60000 });
  step("connect form");
  const address = bolt.replace(/^[a-z+]+:\/\//, "");
  const scheme = await page.$("[data-testid='bolt-scheme-select']");
  if (scheme) {
    const options = await scheme.$$eval("option", (os) => os.map((o) => o.value));
    const wanted = options.find((o) => o.startsWith("bolt://")) ?? options.find((o) => o.startsWith("neo4j://"));
    if (wanted) await scheme.selectOption(wanted);
  }
  await page.fill("[data-testid='boltaddress']", address);
  await page.fill("[data-testid='username']", user);
  await page.fill("[data-testid='password']", password);
  await page.click("[data-testid='connect']");
  await page.waitForSelector("[data-testid='disconnectedBanner']", { state: "detached", timeout: 60000 });
  step("connected");
  // The Browser reads the server's allow-list after connecting, then runs browser.post_connect_cmd
  // (the project's neo4j.conf plays the guide from the configured API port): wait for that frame.
  await page.waitForFunction(
    () => [...document.querySelectorAll("[data-testid='frameCommand']")].some((f) => f.innerText.includes("/guide")),
    null, { timeout: 60000 },
  );
  step("post-connect play");
  const run = async (command) => {
    await page.click("[data-testid='activeEditor']");
    await page.keyboard.type(command);
    await page.click("[data-testid='editor-Run']");
  };
  await run(`:play ${guideUrl}`);
  await page.waitForFunction(() => document.body.innerText.includes("Affinity: the product graph"), null, { timeout: 60000 });
  step("guide shown");
  seen.firstSlide = await page.evaluate(() => {
    const pre = [...document.querySelectorAll("pre")].find((p) => p.innerText.includes("CALL db.labels()"));
    return pre ? { classes: pre.className, text: pre.innerText.slice(0, 60) } : null;
  });
  const block = page.locator("pre", { hasText: "CALL db.labels()" }).first();
  await block.click();
  await page.waitForFunction(
    () => (document.querySelector("[data-testid='activeEditor']")?.innerText ?? "").includes("db.labels"),
    null, { timeout: 30000 },
  );
  step("query in editor");
  const frames = await page.$$("[data-testid='frame']");
  await page.click("[data-testid='editor-Run']");
  await page.waitForFunction(
    (before) => document.querySelectorAll("[data-testid='frame']").length > before, frames.length, { timeout: 30000 },
  );
  // the frame that ran the query from the slide (not the guide's own text)
  const resultText = () => page.evaluate(() => {
    const frame = [...document.querySelectorAll("[data-testid='frame']")].find((f) =>
      (f.querySelector("[data-testid='frameCommand']")?.innerText ?? "").includes("db.labels"));
    return frame?.querySelector("[data-testid='frameContents']")?.innerText ?? "";
  });
  const deadline = Date.now() + 60000;
  while (!(await resultText()).includes("relationship") && Date.now() < deadline) await page.waitForTimeout(500);
  seen.result = (await resultText()).slice(0, 600);
  if (seen.result.includes("relationship")) step("query ran");
  await page.screenshot({ path: screenshot });
  console.log(JSON.stringify(seen));
} catch (error) {
  seen.error = String(error);
  if (page) {
    seen.text = (await page.evaluate(() => document.body.innerText)).slice(0, 3000);
    await page.screenshot({ path: screenshot });
  }
  console.log(JSON.stringify(seen));
} finally {
  await browser.close();
}
