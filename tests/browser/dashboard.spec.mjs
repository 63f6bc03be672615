// The admin dashboard in a real browser (Debian's chromium driven by playwright-core; no browser download).
// Run by tests/browser/browser_test.cpp against a running gisgate + sims; also runnable by hand:
//
//   ADMIN_URL=http://127.0.0.1:9090/ TOKEN=secret SCREENSHOT=/tmp/dash.png node dashboard.spec.mjs servers
//
// Checks: "servers" — server states appear as the API reports them, drain without a token is refused on the
// page, drain/ready with the token change the state in the API and on the page, the page loads nothing from
// anywhere but the admin listener and throws no script error; a screenshot is saved.
// "services" — the service table shows the rows of /api/v1/services in P95 order, slow ones highlighted.
// Exit code 0 when every check passed; each failure is printed on stderr.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { chromium } from "playwright-core";

const mode = process.argv[2] || "servers";
// "contract": the page against canned answers in the shapes the admin API documents (status, services,
// alerts), served from here — checks the service and alert rendering without a gisgate that has them.
const mock = mode === "contract" ? await startMock() : null;
const adminUrl = mock ? mock.url : process.env.ADMIN_URL;
const token = process.env.TOKEN || "";
const screenshot = process.env.SCREENSHOT || "";
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const pool = process.env.POOL || "gis";
const server = process.env.SERVER || "a";
if (!adminUrl) {
  console.error("ADMIN_URL is required (e.g. http://127.0.0.1:9090/)");
  process.exit(2);
}
const origin = new URL(adminUrl).origin;

let failures = 0;
function check(ok, what) {
  if (ok) console.log("PASS " + what);
  else {
    console.error("FAIL " + what);
    failures++;
  }
  return ok;
}

async function api(path, init) {
  const r = await fetch(new URL(path, adminUrl), init);
  return { status: r.status, body: r.headers.get("content-type")?.includes("json") ? await r.json() : await r.text() };
}

async function serverState(p, s) {
  const { body } = await api("api/v1/status");
  const found = (body.pools || []).find((x) => x.name === p)?.servers?.find((x) => x.name === s);
  return found ? found.state : undefined;
}

async function until(what, fn, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  check(false, what + " (timed out; last: " + JSON.stringify(last) + ")");
  return last;
}

const browser = await chromium.launch({
  executablePath,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const pageErrors = [];
const foreignRequests = [];
page.on("pageerror", (e) => pageErrors.push(String(e)));
page.on("request", (r) => {
  if (!r.url().startsWith(origin + "/")) foreignRequests.push(r.url());
});
// Every step has a bound: a hung page fails the test instead of the ctest timeout.
page.setDefaultTimeout(15000);

try {
  await page.goto(adminUrl);
  check((await page.title()) === "gisgate dashboard", "the page at / is the dashboard");

  if (mode === "servers") {
    const { body: status } = await api("api/v1/status");
    check(await page.locator("#peers-section").isHidden(), "no Peers panel on a gisgate without cluster:");
    for (const p of status.pools) {
      for (const s of p.servers) {
        const badge = page.locator(`table.servers[data-pool="${p.name}"] tr[data-server="${s.name}"] .state`);
        await badge.waitFor();
        // The page polls every 2 s: it shows the API's state within a poll or two.
        const want = await serverState(p.name, s.name);
        await until(`${p.name}/${s.name} shows state ${want}`,
                    async () => (await badge.textContent()) === want && want);
      }
    }
    const rows = await page.locator("table.servers tbody tr").count();
    check(rows === status.pools.reduce((n, p) => n + p.servers.length, 0), `one row per server (${rows})`);

    const row = page.locator(`table.servers[data-pool="${pool}"] tr[data-server="${server}"]`);
    // Without a token the page says so and sends nothing that changes state.
    await page.fill("#token", "");
    await row.locator('button[data-action="drain"]').click();
    await page.locator("#message.error").waitFor();
    check((await page.textContent("#message")).includes("token"), "drain without a token asks for the token");
    check((await serverState(pool, server)) === "up", "without a token the server stays up");

    // A wrong token: the API's 401 is shown.
    await page.fill("#token", "not-the-token");
    await row.locator('button[data-action="drain"]').click();
    await until("a wrong token shows the 401 message",
                async () => (await page.textContent("#message")).includes("bearer token"));
    check((await serverState(pool, server)) === "up", "with a wrong token the server stays up");

    // The right token: drain reaches the API, and the page shows it.
    await page.fill("#token", token);
    await row.locator('button[data-action="drain"]').click();
    await until(`API reports ${pool}/${server} drain after the click`,
                async () => (await serverState(pool, server)) === "drain");
    await until("the page shows drain", async () => (await row.locator(".state").textContent()) === "drain");
    check(await page.evaluate(() => sessionStorage.getItem("gisgate.adminToken")) === token,
          "the token is kept in sessionStorage");
    if (screenshot) {
      await page.screenshot({ path: screenshot, fullPage: true });
      console.log("screenshot " + screenshot);
    }
    // Ready brings it back.
    await row.locator('button[data-action="ready"]').click();
    await until(`API reports ${pool}/${server} up after ready`, async () => (await serverState(pool, server)) === "up");
    await until("the page shows up again", async () => (await row.locator(".state").textContent()) === "up");

    // The charts are drawn from the polled samples.
    await until("the requests/s chart has a line", async () => (await page.locator("#chart-rps polyline").count()) > 0);
  } else if (mode === "services") {
    const services = await api("api/v1/services");
    if (!check(services.status === 200, "GET /api/v1/services answers 200 (got " + services.status + ")"))
      throw new Error("this gisgate has no /api/v1/services (per-service statistics)");
    const rowsSel = "table.services tbody tr[data-service]";
    await until("service rows appear", async () => (await page.locator(rowsSel).count()) > 0);
    // Compare the page with the API right after one of the page's polls.
    const shown = await page.locator(rowsSel).evaluateAll((trs) =>
      trs.map((tr) => ({ service: tr.getAttribute("data-service"), slow: tr.classList.contains("slow"),
                         p95: tr.querySelector("td.p95").textContent })));
    const fresh = (await api("api/v1/services")).body;
    const names = fresh.services.map((s) => s.service);
    check(shown.length === fresh.services.length, `one row per service (${shown.length} vs ${fresh.services.length})`);
    check(shown.every((r) => names.includes(r.service)), "every row is a service the API reports");
    const p95s = shown.map((r) => Number(r.p95.replace(/,/g, "")));
    check(p95s.every((v, i) => i === 0 || v <= p95s[i - 1]), "rows are sorted by P95, highest first");
    const wanted = process.env.SERVICE;
    if (wanted) check(shown.some((r) => r.service === wanted), `the row of ${wanted} is shown`);
    for (const r of shown) {
      const a = fresh.services.find((s) => s.service === r.service);
      if (a && a.slow) check(r.slow, `${r.service} (P95 ${a.p95_ms} ms) is highlighted as slow`);
    }
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  } else if (mode === "contract") {
    const rowsSel = "table.services tbody tr[data-service]";
    await until("service rows appear", async () => (await page.locator(rowsSel).count()) === 3);
    const shown = await page.locator(rowsSel).evaluateAll((trs) =>
      trs.map((tr) => ({ service: tr.getAttribute("data-service"), slow: tr.classList.contains("slow"),
                         type: tr.children[1].textContent, p95: tr.querySelector("td.p95").textContent })));
    check(JSON.stringify(shown.map((r) => r.service)) === JSON.stringify(["Hydro/Rivers", "Maps/Streets", "portal"]),
          "rows in P95 order: " + shown.map((r) => r.service).join(", "));
    check(shown[0].slow && !shown[1].slow && !shown[2].slow, "only the slow service is highlighted");
    // A click on a column head sorts by it, a second click the other way, and the order holds across polls.
    const order = async () => page.locator(rowsSel).evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-service")));
    const head = page.locator('table.services th[data-col="service"]');
    await head.click();
    await until("a click on Service sorts A to Z",
                async () => JSON.stringify(await order()) === JSON.stringify(["Hydro/Rivers", "Maps/Streets", "portal"]));
    await page.locator('table.services th[data-col="service"]').click();
    await until("a second click sorts Z to A",
                async () => JSON.stringify(await order()) === JSON.stringify(["portal", "Maps/Streets", "Hydro/Rivers"]));
    check((await page.locator('table.services th[data-col="service"]').getAttribute("aria-sort")) === "descending",
          "the sorted column says so (aria-sort)");
    // One more poll re-renders the table: its "live · <time>" stamp changes (a condition, not a sleep).
    const stamp = await page.textContent("#conn");
    await until("the page polls again", async () => (await page.textContent("#conn")) !== stamp);
    check(JSON.stringify(await order()) === JSON.stringify(["portal", "Maps/Streets", "Hydro/Rivers"]),
          "the chosen order survives the next poll");
    await page.locator('table.services th[data-col="p95_ms"]').click();
    await until("a click on P95 sorts highest first",
                async () => JSON.stringify(await order()) === JSON.stringify(["Hydro/Rivers", "Maps/Streets", "portal"]));
    check(shown[0].p95 === "812.0" && shown[0].type === "FeatureServer", "P95 and type shown: " + JSON.stringify(shown[0]));
    check(await page.locator("table.services tr.total").count() === 1, "the total row is shown");
    check((await page.textContent("#services-note")).includes("last 60 s"), "the window is shown");
    await until("the active alert is shown", async () => (await page.locator('.alert.active[data-rule="slow_service"]').count()) === 1);
    check((await page.textContent(".alert.active")).includes("Hydro/Rivers"), "the alert names its target");
    check(await page.locator("table.alerts tbody tr").count() === 2, "recent alerts are listed");
    await until("the P95 chart has a line after two polls", async () => (await page.locator("#chart-p95 polyline").count()) > 0, 8000);
    // The cluster's peers (status.cluster): one row each, and the warnings.
    await until("the peer rows appear", async () => (await page.locator("table.peers tr[data-peer]").count()) === 2);
    check(await page.locator("#peers-section").isVisible(), "the Peers panel is shown");
    const lb2 = await page.textContent('table.peers tr[data-peer="lb2"]');
    check(lb2.includes("differs (bbbb000000000000)") && lb2.includes("state gis/a (lb2 #7)") && lb2.includes("yes"),
          "lb2: reachable, its last change, its config differs: " + lb2);
    const lb3 = await page.textContent('table.peers tr[data-peer="lb3"]');
    check(lb3.includes("no") && lb3.includes("never") && lb3.includes("Connection refused"),
          "lb3: unreachable, never contacted, why: " + lb3);
    check(await page.locator(".peer-warning").count() === 2, "both warnings are shown");
    check((await page.textContent("#peers-note")).includes("lb1"), "this node's name is shown");
    // Maint through the page: the PUT carries the token and the body the API expects.
    await page.fill("#token", "tok");
    await page.locator('tr[data-server="b"] button[data-action="maint"]').click();
    await until("the PUT arrives", async () => mock.puts.length === 1);
    const put = mock.puts[0];
    check(put.url === "/api/v1/pools/gis/servers/b/state", "PUT path " + put.url);
    check(put.auth === "Bearer tok", "PUT Authorization " + put.auth);
    check(put.body === JSON.stringify({ state: "maint" }), "PUT body " + put.body);
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  } else {
    check(false, "unknown mode " + mode);
  }
  check(pageErrors.length === 0, "no script errors" + (pageErrors.length ? ": " + pageErrors.join("; ") : ""));
  check(foreignRequests.length === 0,
        "nothing loaded from elsewhere" + (foreignRequests.length ? ": " + foreignRequests.join(", ") : ""));
} catch (e) {
  check(false, "unexpected: " + (e && e.stack ? e.stack : e));
} finally {
  await browser.close();
  if (mock) mock.server.close();
}
console.log(failures ? `${failures} check(s) failed` : "all checks passed");
process.exit(failures ? 1 : 0);

// The canned admin API of the "contract" mode (shapes from the admin API's documentation).
async function startMock() {
  const page = readFileSync(process.env.PAGE || new URL("../../src/admin/dashboard/index.html", import.meta.url));
  const row = (service, type, kind, n, p95, slow) => ({
    service, type, kind, requests_total: n, errors_total: 1, rps: n / 60, min_ms: 5, avg_ms: p95 / 2,
    p5_ms: 6, p25_ms: p95 / 4, p50_ms: p95 / 2, p75_ms: p95 * 0.7, p95_ms: p95, p99_ms: p95 * 1.2,
    max_ms: p95 * 2, slow });
  let polls = 0;
  const puts = [];
  const answers = {
    "/api/v1/status": () => ({
      pools: [{ name: "gis", balance: "round_robin", queued: 0, queue_rejections: 0, servers: [
        { name: "a", address: "10.0.0.1:6443", weight: 1, backup: false, state: "up", admin_state: "ready",
          active: 1, requests_total: 100 + polls * 10, health: { enabled: true, consecutive_failures: 0,
          last_check: "2026-11-02T09:00:00.000Z", last_latency_ms: 3, last_error: "", checks: 12 } },
        { name: "b", address: "10.0.0.2:6443", weight: 1, backup: true, state: "down", admin_state: "ready",
          active: 0, requests_total: 7, health: { enabled: true, consecutive_failures: 4,
          last_check: "2026-11-02T09:00:00.000Z", last_latency_ms: 0, last_error: "connect: connection refused",
          checks: 12 } }] }],
      workers: 2, connections: 3, config_file: "/etc/gisgate.yaml", reloads: 0,
      cluster: { node: "lb1", config_hash: "aaaa000000000000", clock: 9, log_entries: 2, seen: { lb1: 3 },
        peers: [
          { name: "lb2", admin: "10.0.0.22:9900", reachable: true, last_contact: "2026-11-02T09:00:00.000Z",
            last_error: null, last_change_applied: { origin: "lb2", seq: 7, stamp: 7, kind: "state", pool: "gis",
            server: "a" }, config_hash: "bbbb000000000000", config_matches: false, seen: { lb1: 3 } },
          { name: "lb3", admin: "10.0.0.23:9900", reachable: false, last_contact: null,
            last_error: "connect: Connection refused", last_change_applied: null, config_hash: null,
            config_matches: null, seen: null }],
        warnings: ["peer lb2 runs a different config (hash bbbb000000000000, this node aaaa000000000000)",
                   "peer lb3 is unreachable: connect: Connection refused"] } }),
    "/api/v1/services": () => ({
      window_seconds: 60,
      // Not in P95 order on purpose: the page sorts.
      services: [row("Maps/Streets", "MapServer", "service", 600, 180 + polls, false),
                 row("portal", "", "portal", 60, 40, false),
                 row("Hydro/Rivers", "FeatureServer", "service", 120, 812, true)],
      total: row("", "", "", 780, 420 + 10 * polls, false) }),
    "/api/v1/alerts": () => ({
      active: [{ rule: "slow_service", target: "Hydro/Rivers", since: "2026-11-02T09:00:00Z", value: 812,
                 message: "P95 812 ms > 500 ms" }],
      recent: [{ time: "2026-11-02T08:00:00Z", rule: "server_down", target: "gis/b", state: "firing", value: 0,
                 message: "gis/b is down" },
               { time: "2026-11-02T09:00:00Z", rule: "slow_service", target: "Hydro/Rivers", state: "firing",
                 value: 812, message: "P95 812 ms > 500 ms" }] }),
  };
  const server = createServer((req, res) => {
    const path = req.url.split("?")[0];
    if (req.method === "GET" && path === "/") {
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
      return res.end(page);
    }
    if (req.method === "GET" && answers[path]) {
      if (path === "/api/v1/status") polls++;
      res.writeHead(200, { "Content-Type": "application/json" });
      return res.end(JSON.stringify(answers[path]()));
    }
    if (req.method === "PUT") {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        puts.push({ url: path, auth: req.headers.authorization, body });
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ name: "b", state: "maint" }));
      });
      return;
    }
    res.writeHead(404, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ error: { code: 404, message: "no such endpoint" } }));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, puts, url: `http://127.0.0.1:${server.address().port}/` };
}
