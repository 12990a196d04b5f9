// Walks the reference shop page (/shop/) in headless Chromium as a shopper would: search, open a
// product, see its complements with their why, pick a customer, add to the basket (the "for you"
// list must change), click a complement (a CLICK event with the list's recommendationId). Prints
// what it saw as JSON on the last line.
//
// usage: node shop.mjs <base url> <api key> <search text> <product id> <customer id> <screenshot.png>
import { launch } from "./chromium.mjs";

const [base, apiKey, searchText, productId, customerId, screenshot] = process.argv.slice(2);
const browser = await launch();
const ids = (page, list) => page.$$eval(`#${list} li`, (items) => items.map((li) => li.dataset.id));
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const problems = [];
  page.on("pageerror", (error) => problems.push(String(error)));
  page.on("console", (message) => { if (message.type() === "error") problems.push(message.text()); });
  await page.goto(`${base}/shop/?key=${encodeURIComponent(apiKey)}`);
  await page.waitForFunction(() => document.querySelector("#status")?.textContent === "ready", null, { timeout: 60000 });
  await page.fill("#q", searchText);
  await page.click("#search button");
  await page.waitForSelector(`#products li[data-id="${productId}"]`, { timeout: 30000 });
  await page.click(`#products li[data-id="${productId}"]`);
  await page.waitForSelector("#complements li", { timeout: 30000 });
  const complements = await ids(page, "complements");
  const why = await page.$eval("#complements li .why", (node) => node.textContent);
  await page.selectOption("#customer", customerId);
  await page.waitForSelector("#for-you li", { timeout: 30000 });
  const strategyBefore = await page.textContent("#strategy");
  const before = await ids(page, "for-you");
  await page.click("#add");
  await page.waitForFunction(
    (old) => JSON.stringify([...document.querySelectorAll("#for-you li")].map((li) => li.dataset.id)) !== old,
    JSON.stringify(before), { timeout: 30000 },
  );
  const after = await ids(page, "for-you");
  const strategyAfter = await page.textContent("#strategy");
  const basket = await page.$$eval("#basket li", (items) => items.map((li) => li.textContent));
  const clicked = complements[0];
  await page.click(`#complements li[data-id="${clicked}"]`);
  await page.waitForFunction((id) => document.querySelector("#status")?.textContent === `showing ${id}`, clicked, { timeout: 30000 });
  await page.waitForLoadState("networkidle");
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ complements, why, strategyBefore, before, after, strategyAfter, basket, clicked, problems }));
} finally {
  await browser.close();
}
