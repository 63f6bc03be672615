// The dashboard's Map view in a real browser (Debian's chromium driven by playwright-core). Run by
// tests/browser/browser_test.cpp against gisgate + sims; also by hand against `gisgate demo`:
//
//   ADMIN_URL=http://127.0.0.1:9900/ FAIL_SITE=site-a [FAULT=hang|error|close] SCREENSHOT=/tmp/map.png \
//     node map.spec.mjs buttons
//
// Checks: the Map view appears, every tile is a decoded image (naturalWidth > 0) outlined in the colour of
// the site that served it, the legend counts tiles per site, and no console error is logged while the
// sites are healthy. Then FAIL_SITE is failed ("api": POST FAIL_CONTROL, the site's own /sim/fault; "buttons":
// the demo's Kill button in the page) and within a bounded wait none of the map's tiles comes from it any
// more; healed, it serves tiles again. Also: the charts start with the history database's last hour. Exit code 0 when every check passed; each failure is printed on stderr.
import { chromium } from "playwright-core";

const mode = process.argv[2] || "api";
const adminUrl = process.env.ADMIN_URL;
const failSite = process.env.FAIL_SITE || "";
const failControl = process.env.FAIL_CONTROL || "";  // mode api: the site's fault API URL
const screenshot = process.env.SCREENSHOT || "";
const fault = process.env.FAULT || "close";  // the fault mode used to fail the site: close (Kill), hang, error
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
if (!adminUrl || !failSite || (mode === "api" && !failControl)) {
  console.error("ADMIN_URL and FAIL_SITE are required (and FAIL_CONTROL in mode api)");
  process.exit(2);
}

let failures = 0;
function check(ok, what) {
  if (ok) console.log("PASS " + what);
  else {
    console.error("FAIL " + what);
    failures++;
  }
  return ok;
}

async function until(what, fn, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  check(false, what + " (timed out; last: " + JSON.stringify(last) + ")");
  return last;
}

async function setFault(modeName) {
  const r = await fetch(failControl, { method: "POST", headers: { "Content-Type": "application/json" },
                                       body: JSON.stringify({ mode: modeName }) });
  check(r.ok, `fault API of ${failSite} set to ${modeName}`);
}

// What the map shows right now: per tile, the site and whether its image decoded.
async function tiles(page) {
  return page.locator("#map-tiles .tile").evaluateAll((nodes) =>
    nodes.map((n) => {
      const img = n.querySelector("img");
      return { site: n.getAttribute("data-site") || "", decoded: !!img && img.complete && img.naturalWidth > 0,
               width: img ? img.naturalWidth : 0, outline: getComputedStyle(n).outlineColor };
    }));
}

const browser = await chromium.launch({
  executablePath,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
const consoleErrors = [];
page.on("pageerror", (e) => consoleErrors.push("page error: " + String(e)));
page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
const failedResponses = [];
page.on("response", (r) => { if (r.status() >= 400) failedResponses.push(r.status() + " " + r.url()); });
page.setDefaultTimeout(15000);

try {
  await page.goto(new URL("#map", adminUrl).toString());
  await page.locator("#map:not([hidden])").waitFor();
  check(true, "the Map view is shown (admin.map is set)");
  const all = await until("every tile decoded and attributed to a site", async () => {
    const t = await tiles(page);
    return t.length > 0 && t.every((x) => x.decoded && x.site) ? t : false;
  });
  if (all) {
    check(all.length >= 20, `the map has ${all.length} tiles`);
    check(all.every((t) => t.width === 256), "every tile decodes to a 256-pixel image");
    const sites = [...new Set(all.map((t) => t.site))];
    check(sites.length >= 2, `tiles come from several sites: ${sites.join(", ")}`);
    check(sites.includes(failSite), `${failSite} serves some tiles before it fails`);
    // Different sites, different outline colours.
    const outlineOf = {};
    for (const t of all) outlineOf[t.site] = t.outline;
    check(new Set(Object.values(outlineOf)).size === sites.length, "each site has its own outline colour");
    const legend = await page.locator("#map-legend .site[data-site]").evaluateAll((n) =>
      n.map((x) => [x.getAttribute("data-site"), Number(x.getAttribute("data-count"))]));
    const counted = legend.reduce((n, [, c]) => n + c, 0);
    check(legend.length === sites.length && counted === all.length,
          `the legend counts tiles per site (${JSON.stringify(legend)})`);
  }
  // The charts start with the history database's last hour (the config has `history:`).
  if (await until("the charts load the last hour from the history database",
                  async () => ((await page.textContent("#charts-note")) || "").includes("history database")))
    check(true, "the charts start with the history database's intervals");
  check(consoleErrors.length === 0, "no console errors while the sites are healthy" +
        (consoleErrors.length ? ": " + consoleErrors.join(" | ") + " (" + failedResponses.join(", ") + ")" : ""));
  if (screenshot) {
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log("screenshot " + screenshot);
  }

  // Fail the site; the balancer finds out (failed requests, health checks) and its tiles move elsewhere.
  const row = page.locator(`table.servers tr[data-server="${failSite}"]`);
  if (mode === "buttons") await row.locator(`button[data-fault="${fault}"]`).click();
  else await setFault(fault);
  const failedAt = Date.now();
  if (await until(`no tile comes from ${failSite} once it is failed`, async () => {
    const t = await tiles(page);
    return t.length > 0 && t.every((x) => x.decoded && x.site && x.site !== failSite) ? t.length : false;
  }, 30000))
    check(true, `${failSite} failed: all tiles come from the other sites after ${Date.now() - failedAt} ms`);
  if (mode === "buttons") {
    await until("the page shows the site's fault",
                async () => (await row.locator(".faultmode").count()) > 0 &&
                            (await row.locator(".faultmode").getAttribute("data-mode")) === fault && fault);
    if (screenshot) await page.screenshot({ path: screenshot.replace(/\.png$/, "-failed.png"), fullPage: true });
  }
  // Healed, it rejoins (health checks: `rise` good ones) and serves tiles again.
  if (mode === "buttons") await row.locator('button[data-fault="ok"]').click();
  else await setFault("ok");
  const healedAt = Date.now();
  if (await until(`${failSite} serves tiles again after healing`, async () => {
    const t = await tiles(page);
    return t.some((x) => x.site === failSite);
  }, 30000))
    check(true, `${failSite} healed: it serves tiles again after ${Date.now() - healedAt} ms`);
} catch (e) {
  check(false, "unexpected: " + e.message);
} finally {
  await browser.close();
}
if (failures === 0) console.log("all checks passed");
process.exit(failures === 0 ? 0 : 1);
