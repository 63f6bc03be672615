// HTTP/2 through gisgate with the clients people use: Chromium (Debian's, driven by playwright-core) loading a
// page's worth of map tiles, and Node's own http2 client. Run by tests/browser/browser_test.cpp against a
// running gisgate with a TLS listener (self-signed certificate); also runnable by hand:
//
//   BASE_URL=https://127.0.0.1:8443 node h2.spec.mjs chromium     (or: node)
//
// "chromium": 100 tile requests from a page on the listener's origin all complete with 200 and report
//   nextHopProtocol "h2" (one connection, no six-connection limit), and the page logs no error.
// "node": 50 concurrent GETs and a 1 MB POST on one http2 session; statuses, sites and echoed sizes.
// Exit code 0 when every check passed; each failure is printed on stderr.
import http2 from "node:http2";
import { chromium } from "playwright-core";

const mode = process.argv[2] || "chromium";
const base = process.env.BASE_URL;
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
if (!base) {
  console.error("BASE_URL is required (e.g. https://127.0.0.1:8443)");
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

const tile = (z, x, y) => `/arcgis/rest/services/SampleWorldCities/MapServer/tile/${z}/${y}/${x}`;

async function withChromium() {
  const browser = await chromium.launch({
    executablePath,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
           "--ignore-certificate-errors"],
  });
  try {
    const page = await browser.newPage({ ignoreHTTPSErrors: true });
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    // Script errors, and answers >= 400 other than the favicon Chromium asks for on its own.
    page.on("response", (r) => {
      if (r.status() >= 400 && !r.url().endsWith("/favicon.ico")) errors.push(r.status() + " " + r.url());
    });
    const first = await page.goto(base + "/arcgis/rest/info?f=json");
    check(first && first.status() === 200, "the listener's origin loads");
    const paths = [];
    for (let x = 0; x < 10; x++) for (let y = 0; y < 10; y++) paths.push(tile(7, x, y));
    const result = await page.evaluate(async (list) => {
      // Whole bodies: a resource timing entry is recorded once its response has ended.
      const statuses = await Promise.all(
        list.map((p) => fetch(p, { cache: "no-store" }).then((r) => r.arrayBuffer().then(() => r.status))));
      for (let i = 0; i < 50 && performance.getEntriesByType("resource").length < list.length + 1; i++)
        await new Promise((r) => setTimeout(r, 20));
      const entries = performance.getEntriesByType("resource").filter((e) => e.name.includes("/MapServer/tile/"));
      return { statuses, protocols: entries.map((e) => e.nextHopProtocol) };
    }, paths);
    check(result.statuses.length === 100 && result.statuses.every((s) => s === 200),
          "100 tiles answered 200 (" + JSON.stringify([...new Set(result.statuses)]) + ")");
    check(result.protocols.length === 100 && result.protocols.every((p) => p === "h2"),
          "every tile came over h2 (" + result.protocols.length + " entries: " +
            JSON.stringify([...new Set(result.protocols)]) + ")");
    check(errors.length === 0, "no page errors (" + errors.join("; ") + ")");
  } finally {
    await browser.close();
  }
}

function request(session, headers, body) {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers);
    let data = "";
    let head = {};
    stream.setEncoding("utf8");
    stream.on("response", (h) => { head = h; });
    stream.on("data", (d) => { data += d; });
    stream.on("end", () => resolve({ head, data }));
    stream.on("error", reject);
    if (body) stream.end(body);
    else stream.end();
  });
}

async function withNode() {
  const session = http2.connect(base, { rejectUnauthorized: false });
  session.on("error", (e) => check(false, "session error " + e));
  try {
    const gets = [];
    for (let i = 0; i < 50; i++) gets.push(request(session, { ":path": tile(5, i % 32, Math.floor(i / 32)) }));
    const answers = await Promise.all(gets);
    check(answers.every((a) => a.head[":status"] === 200), "50 concurrent GETs on one session: 200");
    const sites = new Set(answers.map((a) => a.head["x-gisgate-sim-site"]));
    check(sites.size >= 1 && !sites.has(undefined), "answers name their site (" + [...sites].join(",") + ")");
    const big = "n".repeat(1024 * 1024);
    const post = await request(session, { ":method": "POST", ":path": "/sim/echo", "content-type": "text/plain" }, big);
    check(post.head[":status"] === 200, "POST of 1 MB: 200");
    const echoed = JSON.parse(post.data);
    check(echoed.body.length === big.length, "the site received all of it (" + echoed.body.length + " bytes)");
    check(echoed.headers["x-forwarded-proto"] === "https", "X-Forwarded-Proto: https");
  } finally {
    session.close();
  }
}

try {
  if (mode === "chromium") await withChromium();
  else if (mode === "node") await withNode();
  else check(false, "unknown mode " + mode);
} catch (e) {
  check(false, "exception: " + (e && e.stack ? e.stack : e));
}
process.exit(failures === 0 ? 0 : 1);
