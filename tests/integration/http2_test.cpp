// HTTP/2 on gisgate's listeners, checked with real clients: curl (libcurl's HTTP/2 is nghttp2's client),
// nghttp (many streams on one connection) and raw-frame attacks (h2_attack.py). The servers behind stay
// HTTP/1.1 sims.
#include <gtest/gtest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>

#include "integration/proxy_fixture.hpp"
#include "support/hostile_origin.hpp"
#include "support/sanitizers.hpp"
#include "tls/certificates.hpp"

namespace gisgate::test {
namespace {

constexpr const char* kTile = "/arcgis/rest/services/SampleWorldCities/MapServer/tile/3/2/1";

std::string tls_listener_keys(const std::string& extra = "") {
    static const tls::PemPair pair = tls::make_self_signed("127.0.0.1");
    const std::string cert = write_temp_file("h2/cert.pem", pair.cert), key = write_temp_file("h2/key.pem", pair.key);
    return fmt::format("    tls: {{ cert: {}, key: {} }}\n", cert, key) + extra;
}

struct Curl {
    int exit = -1;
    std::string body;
    std::string version;  // %{http_version}: "2", "1.1"
    int status = 0;
    long download = 0;
};

// curl with `args`, body to a file, what -w reports on stdout.
Curl curl(const std::vector<std::string>& args) {
    static int counter = 0;
    const std::string body_path = temp_dir() + "/h2-body-" + std::to_string(counter++);
    std::vector<std::string> all = {"-sS", "-k", "-o", body_path, "-w", "\n@@%{http_version} %{http_code} %{size_download}@@\n"};
    all.insert(all.end(), args.begin(), args.end());
    const ProgramResult r = run_program("/usr/bin/curl", all);
    Curl out;
    out.exit = r.exit;
    std::smatch m;
    static const std::regex kReport("@@(\\S+) (\\d+) (\\d+)@@");
    if (std::regex_search(r.output, m, kReport)) {
        out.version = m[1];
        out.status = std::stoi(m[2]);
        out.download = std::stol(m[3]);
    }
    std::ifstream in(body_path, std::ios::binary);
    out.body.assign(std::istreambuf_iterator<char>(in), {});
    return out;
}

std::string url(int port, const std::string& path, bool tls = true) {
    return fmt::format("{}://127.0.0.1:{}{}", tls ? "https" : "http", port, path);
}

// tests/integration/h2_attack.py in `mode` against 127.0.0.1:`port`: the JSON object it prints (a failed run
// is a test failure, and a discarded JSON value).
nlohmann::json h2_script(const std::string& mode, int port, const std::string& path = "",
                         std::chrono::seconds timeout = 60s) {
    const std::string script = std::string(GISGATE_SOURCE_DIR) + "/tests/integration/h2_attack.py";
    std::vector<std::string> args = {script, mode, std::to_string(port)};
    if (!path.empty()) args.push_back(path);
    const ProgramResult r = run_program("/usr/bin/python3", args, timeout);
    EXPECT_EQ(r.exit, 0) << r.output;
    const auto at = r.output.find('{');
    const auto doc = nlohmann::json::parse(at == std::string::npos ? "" : r.output.substr(at), nullptr, false);
    EXPECT_TRUE(doc.is_object()) << r.output;
    return doc;
}

TEST(Http2, CurlGetsHttp2OverTlsThroughTheSamePipeline) {
    Sim a = start_sim("a");
    ASSERT_NE(a.port, 0);
    Proxy proxy = start_proxy(basic_config({&a}, "", tls_listener_keys()));
    ASSERT_NE(proxy.port, 0);
    const Curl info = curl({"--http2", url(proxy.port, "/arcgis/rest/info?f=json")});
    EXPECT_EQ(info.exit, 0);
    EXPECT_EQ(info.version, "2");
    EXPECT_EQ(info.status, 200);
    EXPECT_TRUE(nlohmann::json::parse(info.body, nullptr, false).is_object()) << info.body;
    // What the server received: an HTTP/1.1 request with the client's address and scheme.
    const Curl echo = curl({"--http2", "-H", "Cookie: a=1", "-H", "Cookie: b=2", url(proxy.port, "/sim/echo?x=1")});
    ASSERT_EQ(echo.status, 200);
    const auto doc = nlohmann::json::parse(echo.body);
    EXPECT_EQ(doc["headers"]["x-forwarded-proto"], "https");
    EXPECT_EQ(doc["headers"]["x-forwarded-for"], "127.0.0.1");
    EXPECT_EQ(doc["headers"]["host"], fmt::format("127.0.0.1:{}", proxy.port));
    EXPECT_EQ(doc["headers"]["cookie"], "a=1; b=2");
    EXPECT_EQ(doc["target"], "/sim/echo?x=1");
    // Policy applies as to HTTP/1.1: no route → 404 with the JSON error body; the access log says HTTP/2.0.
    const Curl missing = curl({"--http2", url(proxy.port, "/nowhere")});
    EXPECT_EQ(missing.status, 404);
    EXPECT_NE(missing.body.find("\"code\":404"), std::string::npos) << missing.body;
    EXPECT_TRUE(proxy.process->wait_for_output("\"GET /arcgis/rest/info?f=json HTTP/2.0\" 200"));
}

// The server's response head reaches an HTTP/2 stream as fields handed over parsed (no HTTP/1.1 text written
// and read again in between), with what gisgate does to it for HTTP/1.1: a redirect to the server's own URL
// becomes the public one, gisgate's own fields (the sticky cookie, the request id) are there, names are lower
// case, and the connection-specific ones are gone.
TEST(Http2, TheResponseHeadReachesAStreamRewrittenAsForHttp11) {
    HostileOrigin origin({.redirect_location = "http://{self}/arcgis/rest/services?f=json"});
    Proxy proxy = start_proxy(fmt::format(R"(workers: 1
listeners:
  - name: public
    bind: 127.0.0.1:0
{}    routes:
      - {{ prefix: /server, rewrite: /arcgis, pool: origin }}
pools:
  - name: origin
    sticky: cookie
    health: {{ enabled: false }}
    servers: [{{ name: o, address: 127.0.0.1:{} }}]
)",
                                          tls_listener_keys(), origin.port()));
    ASSERT_NE(proxy.port, 0);
    const std::string dump = temp_dir() + "/h2-redirect-head";
    const Curl r = curl({"--http2", "-D", dump, "-H", "Host: gis.example.com", url(proxy.port, "/server/rest")});
    EXPECT_EQ(r.version, "2");
    EXPECT_EQ(r.status, 302);
    std::ifstream in(dump);
    const std::string head((std::istreambuf_iterator<char>(in)), {});
    const std::string public_url = "https://gis.example.com/server/rest/services?f=json";
    EXPECT_NE(head.find("\r\nlocation: " + public_url + "\r\n"), std::string::npos) << head;
    EXPECT_NE(head.find("\r\ncontent-location: " + public_url + "\r\n"), std::string::npos) << head;
    EXPECT_NE(head.find("\r\nrefresh: 0; url=" + public_url + "\r\n"), std::string::npos) << head;
    EXPECT_NE(head.find("\r\ncontent-length: 0\r\n"), std::string::npos) << head;
    EXPECT_TRUE(std::regex_search(head, std::regex("\r\nx-request-id: [0-9a-f]{32}\r\n"))) << head;
    EXPECT_TRUE(std::regex_search(head, std::regex("\r\nset-cookie: [A-Za-z0-9_-]+=[^;]+; Path=/; HttpOnly\r\n")))
        << head;
    EXPECT_EQ(head.find("connection:"), std::string::npos) << head;
    EXPECT_EQ(head.find("Location"), std::string::npos) << "names are lower case: " << head;
}

// HPACK: the request id, new in every response, is sent as a never-indexed literal (indexed, it would fill the
// client's dynamic table with values no later response uses and push out the ones that repeat); the fields
// that repeat are indexed. Checked with python3-hpack's decoder on the client side.
TEST(Http2, TheRequestIdIsNeverIndexedAndRepeatedFieldsAre) {
    Sim a = start_sim("a");
    ASSERT_NE(a.port, 0);
    Proxy proxy = start_proxy(basic_config({&a}, "", tls_listener_keys()));
    ASSERT_NE(proxy.port, 0);
    const auto doc = h2_script("indexing", proxy.port, "/arcgis/rest/info?f=json");
    ASSERT_TRUE(doc.is_object());
    EXPECT_EQ(doc["statuses"], nlohmann::json::parse("[200, 200, 200]")) << doc;
    for (const auto& never : doc["never_indexed"])
        EXPECT_EQ(never, nlohmann::json::parse(R"(["x-request-id"])")) << doc;
    const auto& table = doc["table"];
    EXPECT_EQ(std::find(table.begin(), table.end(), "x-request-id"), table.end()) << doc;
    EXPECT_NE(std::find(table.begin(), table.end(), "content-type"), table.end()) << doc;
}

TEST(Http2, Http2FalseOffersOnlyHttp11AndH2cNeedsItsOwnSwitch) {
    Sim a = start_sim("a");
    ASSERT_NE(a.port, 0);
    Proxy off = start_proxy(basic_config({&a}, "", tls_listener_keys("    http2: false\n")));
    ASSERT_NE(off.port, 0);
    EXPECT_EQ(curl({"--http2", url(off.port, "/arcgis/rest/info?f=json")}).version, "1.1");
    // A plaintext listener: HTTP/1.1 only unless h2c is on; with it, prior knowledge and HTTP/1.1 both work.
    Proxy plain = start_proxy(basic_config({&a}, "", "    h2c: true\n"));
    ASSERT_NE(plain.port, 0);
    const Curl h2c = curl({"--http2-prior-knowledge", url(plain.port, "/arcgis/rest/info?f=json", false)});
    EXPECT_EQ(h2c.version, "2");
    EXPECT_EQ(h2c.status, 200);
    EXPECT_EQ(curl({url(plain.port, "/arcgis/rest/info?f=json", false)}).version, "1.1");
    const Curl echo = curl({"--http2-prior-knowledge", url(plain.port, "/sim/echo", false)});
    EXPECT_EQ(nlohmann::json::parse(echo.body)["headers"]["x-forwarded-proto"], "http");
}

TEST(Http2, NghttpRunsAHundredStreamsOnOneConnection) {
    Sim a = start_sim("a"), b = start_sim("b");
    ASSERT_NE(a.port, 0);
    ASSERT_NE(b.port, 0);
    Proxy proxy = start_proxy(basic_config({&a, &b}, "", tls_listener_keys()));
    ASSERT_NE(proxy.port, 0);
    const ProgramResult r = run_program("/usr/bin/nghttp", {"-nv", "-m", "100", url(proxy.port, kTile)});
    EXPECT_EQ(r.exit, 0) << r.output.substr(0, 2000);
    std::size_t ok = 0;
    for (std::size_t at = r.output.find(":status: 200"); at != std::string::npos;
         at = r.output.find(":status: 200", at + 1))
        ++ok;
    EXPECT_EQ(ok, 100u);
    // One TCP connection from nghttp, balanced per request over both sites.
    const auto site_requests = [](const Sim& s) {
        return nlohmann::json::parse(http_get(s.port, "/sim/stats").body)["requests"].get<int>();
    };
    EXPECT_GT(site_requests(a), 30);
    EXPECT_GT(site_requests(b), 30);
}

TEST(Http2, LargeBodiesBothWaysHeadAnd304) {
    Sim a = start_sim("a");
    ASSERT_NE(a.port, 0);
    Proxy proxy = start_proxy(basic_config({&a}, "", tls_listener_keys()));
    ASSERT_NE(proxy.port, 0);
    // A 2048² export: a chunked answer from the server, DATA frames to the client, same bytes as direct.
    const std::string exp = "/arcgis/rest/services/SampleWorldCities/MapServer/export?bbox=-180,-90,180,90&size=2048,2048&f=image";
    const Curl direct = curl({url(a.port, exp, false)});
    const Curl via = curl({"--http2", url(proxy.port, exp)});
    EXPECT_EQ(via.version, "2");
    EXPECT_EQ(via.status, 200);
    EXPECT_GT(via.download, 1'000'000);
    EXPECT_EQ(via.download, direct.download);
    // A 3 MB upload of unknown length (chunked to the server) and one with content-length.
    const std::string upload = write_temp_file("h2/upload.bin", std::string(3 * 1024 * 1024, 'u'));
    for (const bool chunked : {true, false}) {
        std::vector<std::string> args = {"--http2", "--data-binary", "@" + upload, url(proxy.port, "/sim/echo")};
        if (chunked) args.insert(args.begin(), {"-H", "Transfer-Encoding: chunked"});
        const Curl echo = curl(args);
        ASSERT_EQ(echo.status, 200) << chunked;
        const auto doc = nlohmann::json::parse(echo.body);
        EXPECT_EQ(doc["body"].get<std::string>().size(), 3u * 1024 * 1024) << chunked;
        EXPECT_EQ(doc["method"], "POST");
    }
    // HEAD: headers, no body; a conditional GET: 304.
    const Curl head = curl({"--http2", "-I", url(proxy.port, kTile)});
    EXPECT_EQ(head.status, 200);
    const auto etag_at = head.body.find("etag: ");
    ASSERT_NE(etag_at, std::string::npos) << head.body;
    const std::string etag = head.body.substr(etag_at + 6, head.body.find('\r', etag_at) - etag_at - 6);
    const Curl not_modified = curl({"--http2", "-H", "If-None-Match: " + etag, url(proxy.port, kTile)});
    EXPECT_EQ(not_modified.status, 304);
    EXPECT_EQ(not_modified.download, 0);
}

TEST(Http2, ExpectContinueAndJobAffinityThroughStreams) {
    Sim a = start_sim("a", {"--job-duration", "200ms"}), b = start_sim("b", {"--job-duration", "200ms"});
    ASSERT_NE(a.port, 0);
    ASSERT_NE(b.port, 0);
    Proxy proxy = start_proxy(basic_config({&a, &b}, "", tls_listener_keys()));
    ASSERT_NE(proxy.port, 0);
    // 100-continue: the interim answer goes back as a non-final HEADERS frame before the body is sent.
    const std::string upload = write_temp_file("h2/expect.bin", std::string(200 * 1024, 'e'));
    const ProgramResult expect = run_program(
        "/usr/bin/curl", {"-sk", "-v", "--http2", "-H", "Expect: 100-continue", "--data-binary", "@" + upload, "-o",
                          "/dev/null", url(proxy.port, "/sim/echo")});
    EXPECT_EQ(expect.exit, 0) << expect.output;
    EXPECT_NE(expect.output.find("< HTTP/2 100"), std::string::npos) << expect.output;
    EXPECT_NE(expect.output.find("< HTTP/2 200"), std::string::npos) << expect.output;
    // Geoprocessing jobs: submitJob over HTTP/2, then status polls on new connections reach the same site
    // (job affinity), round robin or not, until the job succeeds.
    const std::string gp = "/arcgis/rest/services/Analysis/Buffer/GPServer/BufferPoints";
    for (int job = 0; job < 4; ++job) {
        const Curl submitted = curl({"--http2", "--data", "Input=1&Distance=5&f=json", url(proxy.port, gp + "/submitJob")});
        ASSERT_EQ(submitted.status, 200) << submitted.body;
        const std::string id = nlohmann::json::parse(submitted.body)["jobId"];
        std::string state;
        for (int poll = 0; poll < 200 && state != "esriJobSucceeded"; ++poll) {
            const Curl status = curl({"--http2", "--data", "f=json", url(proxy.port, gp + "/jobs/" + id)});
            ASSERT_EQ(status.status, 200) << status.body;
            const auto doc = nlohmann::json::parse(status.body, nullptr, false);
            ASSERT_TRUE(doc.is_object() && !doc.contains("error")) << "job " << id << ": " << status.body;
            state = doc.value("jobStatus", "");
        }
        EXPECT_EQ(state, "esriJobSucceeded") << id;
    }
}

// Attacks on one connection (rapid reset, CONTINUATION, PING, SETTINGS and PRIORITY floods): it ends (GOAWAY
// where the attack leaves room for one), gisgate stays up and
// keeps answering others, and a reset flood never reaches the servers beyond the budget.
TEST(Http2, RapidResetContinuationAndPingFloodsEndOnlyTheAttackingConnection) {
    Sim a = start_sim("a");
    ASSERT_NE(a.port, 0);
    Proxy proxy = start_proxy(basic_config({&a}, "", tls_listener_keys()));
    ASSERT_NE(proxy.port, 0);
    const auto attack = [&](const char* mode) {
        SCOPED_TRACE(mode);
        return h2_script(mode, proxy.port, "", 90s);
    };
    const int before = nlohmann::json::parse(http_get(a.port, "/sim/stats").body)["requests"].get<int>();
    const auto reset = attack("rapid_reset");
    EXPECT_EQ(reset["goaway"], 11) << "ENHANCE_YOUR_CALM: " << reset;
    EXPECT_TRUE(reset["closed"].get<bool>());
    const int reached = nlohmann::json::parse(http_get(a.port, "/sim/stats").body)["requests"].get<int>() - before;
    EXPECT_LE(reached, 600) << "of 10,000 reset requests, at most the reset budget (400) plus those in flight";

    const auto continuation = attack("continuation");
    EXPECT_TRUE(continuation["closed"].get<bool>()) << continuation;
    EXPECT_LT(continuation["sent"].get<int>(), 10000) << "the connection ended before the flood did";

    const auto pings = attack("ping_flood");
    EXPECT_TRUE(pings["closed"].get<bool>()) << pings;

    const auto settings = attack("settings_flood");
    EXPECT_TRUE(settings["closed"].get<bool>()) << settings;
    EXPECT_EQ(settings["goaway"], 11) << "ENHANCE_YOUR_CALM: " << settings;

    const auto priorities = attack("priority_flood");
    EXPECT_TRUE(priorities["closed"].get<bool>()) << priorities;
    EXPECT_EQ(priorities["goaway"], 11) << "ENHANCE_YOUR_CALM: " << priorities;

    // Meanwhile (and afterwards) an ordinary client is served.
    const Curl ok = curl({"--http2", url(proxy.port, "/arcgis/rest/info?f=json")});
    EXPECT_EQ(ok.status, 200);
    EXPECT_EQ(ok.version, "2");
}

// RFC 9113 §8.1: a request's trailer HEADERS frame becomes the trailer section of its chunked HTTP/1.1 body
// (framing fields dropped), and a server's chunked trailer section becomes the response's trailer HEADERS frame.
TEST(Http2, TrailersAreRelayedBothWays) {
    {
        Sim a = start_sim("a");
        ASSERT_NE(a.port, 0);
        Proxy proxy = start_proxy(basic_config({&a}, "", tls_listener_keys()));
        ASSERT_NE(proxy.port, 0);
        const auto r = h2_script("trailers", proxy.port, "/sim/echo");
        ASSERT_EQ(r["status"], 200) << r;
        const auto echo = nlohmann::json::parse(r["body"].get<std::string>(), nullptr, false);
        ASSERT_TRUE(echo.is_object()) << r;
        EXPECT_EQ(echo["body"], "hello trailers");
        // Beast merges a chunked body's trailer fields into the fields the sim echoes.
        EXPECT_EQ(echo["headers"].value("x-checksum", ""), "c0ffee") << echo;
        EXPECT_EQ(echo["headers"].value("transfer-encoding", ""), "chunked") << echo;
        EXPECT_FALSE(echo["headers"].contains("trailer")) << "a field that may not be a trailer is never relayed";
    }
    {
        HostileOrigin origin({.chunked_answer = true,
                              .trailer_section = "X-Checksum: 3f2a\r\nServer-Timing: db;dur=53\r\n"
                                                 "Keep-Alive: timeout=5\r\n"});
        std::string config = single_origin_config(origin.port());
        config.insert(config.find("    routes:"), tls_listener_keys());
        Proxy proxy = start_proxy(config);
        ASSERT_NE(proxy.port, 0);
        const auto r = h2_script("get_trailers", proxy.port, "/trailers/please");
        ASSERT_EQ(r["status"], 200) << r;
        EXPECT_EQ(r["body"], "/trailers/please");
        EXPECT_EQ(r["trailers"].value("x-checksum", ""), "3f2a") << r;
        EXPECT_EQ(r["trailers"].value("server-timing", ""), "db;dur=53") << r;
        EXPECT_FALSE(r["trailers"].contains("keep-alive")) << "connection-specific: not an HTTP/2 field";
        EXPECT_FALSE(r.contains("reset")) << r;
    }
}

TEST(Http2, AnHpackBombGets431AndTheConnectionGoesOn) {
    Sim a = start_sim("a");
    ASSERT_NE(a.port, 0);
    Proxy proxy = start_proxy(basic_config({&a}, "", tls_listener_keys()));
    ASSERT_NE(proxy.port, 0);
    const long rss_before = proc_status_kib(proxy.process->pid(), "VmRSS");
    const auto doc = h2_script("hpack_bomb", proxy.port);
    ASSERT_TRUE(doc.is_object());
    EXPECT_EQ(doc["statuses"]["1"], 200) << doc;  // 4 KB of headers: within limits.max_header_size
    EXPECT_EQ(doc["statuses"]["3"], 431) << doc;  // ~4 MB once decoded: refused, never kept
    const long grown = proc_status_kib(proxy.process->pid(), "VmRSS") - rss_before;
    // ASan's quarantine keeps freed memory: the figure means something only in normal builds.
    if (!kSanitized) {
        EXPECT_LT(grown, 4 * 1024) << "KiB";
    }
    RecordProperty("rss_growth_kib", static_cast<int>(grown));
}

// RFC 8441: a stream-service subscription as an extended CONNECT stream, relayed to the site's HTTP/1.1
// WebSocket; the tunnel ends (and is logged) when the client leaves.
TEST(Http2, WebSocketOverExtendedConnect) {
    Sim a = start_sim("a");
    ASSERT_NE(a.port, 0);
    Proxy proxy = start_proxy(basic_config({&a}, "", tls_listener_keys()));
    ASSERT_NE(proxy.port, 0);
    const auto doc = h2_script("websocket", proxy.port,
                               "/arcgis/ws/services/Streams/Vehicles/StreamServer/subscribe?interval_ms=20");
    ASSERT_TRUE(doc.is_object());
    EXPECT_EQ(doc["settings_connect"], 1) << "SETTINGS_ENABLE_CONNECT_PROTOCOL";
    EXPECT_EQ(doc["status"], 200);
    EXPECT_EQ(doc["seqs"], nlohmann::json::array({1, 2, 3, 4, 5}));
    EXPECT_TRUE(proxy.process->wait_for_output("HTTP/2.0\" 101"));
    EXPECT_TRUE(proxy.process->wait_for_output("\"WebSocket\" closed gis/a"));
}

// A client that holds its window at 0 pins a response in gisgate's buffers: after timeouts.idle without
// progress the stream is reset, and nothing reached the client beyond the headers.
TEST(Http2, AStreamStalledAtAZeroWindowIsResetAfterTheIdleTimeout) {
    Sim a = start_sim("a");
    ASSERT_NE(a.port, 0);
    Proxy proxy = start_proxy(basic_config({&a}, "", tls_listener_keys(), "timeouts: { idle: 2s }\n"));
    ASSERT_NE(proxy.port, 0);
    const auto doc = h2_script(
        "zero_window", proxy.port,
        "/arcgis/rest/services/SampleWorldCities/MapServer/export?bbox=0,0,10,10&size=2048,2048&f=image");
    ASSERT_TRUE(doc.is_object());
    EXPECT_EQ(doc["status"], 200) << doc;
    EXPECT_EQ(doc["data"], 0) << doc;
    ASSERT_FALSE(doc["reset"].is_null()) << "the stalled stream is reset: " << doc;
    EXPECT_GE(doc["reset_after_s"].get<double>(), 1.5) << doc;
    // A small answer fits the stream's buffer whole: its pipeline has finished and gone, and the buffer waits
    // for the window on the stream's own drain deadline, which resets it the same way.
    const auto small = h2_script("zero_window", proxy.port, "/arcgis/rest/info?f=json");
    ASSERT_TRUE(small.is_object());
    EXPECT_EQ(small["status"], 200) << small;
    EXPECT_EQ(small["data"], 0) << small;
    ASSERT_FALSE(small["reset"].is_null()) << "the stalled stream is reset: " << small;
    EXPECT_EQ(small["reset"], 8) << "CANCEL: " << small;
    EXPECT_GE(small["reset_after_s"].get<double>(), 1.5) << small;
    // A normal client meanwhile and afterwards.
    const Curl ok = curl({"--http2", url(proxy.port, "/arcgis/rest/info?f=json")});
    EXPECT_EQ(ok.status, 200);
}

// A reload that removes the listener or binds it elsewhere ends its HTTP/2 connections with GOAWAY (as a
// drain does), instead of leaving them on a listener that no longer exists.
TEST(Http2, AReloadThatRemovesOrRebindsTheListenerSendsGoaway) {
    Sim a = start_sim("a");
    ASSERT_NE(a.port, 0);
    const std::string base = basic_config({&a}, "", tls_listener_keys());
    Proxy proxy = start_proxy(base);
    ASSERT_NE(proxy.port, 0);
    const std::string script = std::string(GISGATE_SOURCE_DIR) + "/tests/integration/h2_attack.py";
    const auto wait_goaway = [&](const std::string& new_config, const std::string& done_line) {
        auto client = ChildProcess::start_program("/usr/bin/python3", {script, "wait_goaway", std::to_string(proxy.port)});
        ASSERT_TRUE(client->wait_for_output("ready")) << client->output();
        write_temp_file("gisgate.yaml", new_config);
        proxy.process->signal(SIGHUP);
        ASSERT_TRUE(proxy.process->wait_for_output(done_line)) << proxy.process->output();
        ASSERT_EQ(client->wait_exit(40s), 0) << client->output();
        const std::string out = client->output();
        const auto doc = nlohmann::json::parse(out.substr(out.find('{')), nullptr, false);
        ASSERT_TRUE(doc.is_object()) << out;
        EXPECT_EQ(doc["status"], 200) << doc;
        EXPECT_EQ(doc["goaway"], 0) << "NO_ERROR: " << doc;
        EXPECT_EQ(doc["last_stream"], 1) << doc;
    };
    // Bound elsewhere (another free port): the old address's connections go.
    std::string moved = base;
    const std::string bind = "bind: 127.0.0.1:0";
    const int new_port = unused_port();
    moved.replace(moved.find(bind), bind.size(), "bind: 127.0.0.1:" + std::to_string(new_port));
    wait_goaway(moved, "(generation 1)");
    // Removed: a second listener takes the routes, `public` goes.
    proxy.port = new_port;
    std::string removed = moved;
    removed.replace(removed.find("  - name: public"), 16, "  - name: other");
    wait_goaway(removed, "listener public removed");
}

TEST(Http2, SigtermLetsTheStreamInFlightFinish) {
    Sim a = start_sim("a");
    ASSERT_NE(a.port, 0);
    Proxy proxy = start_proxy(basic_config({&a}, "", tls_listener_keys()));
    ASSERT_NE(proxy.port, 0);
    set_fault(a, "slow", 1500);
    // Headers to stdout (-D -): curl 7.88 leaves out its -w report once a GOAWAY arrived.
    auto client = ChildProcess::start_program(
        "/usr/bin/curl", {"-sk", "--http2", "-D", "-", url(proxy.port, "/arcgis/rest/info?f=json")});
    // Once the request is at the site, gisgate is told to stop.
    ASSERT_TRUE(eventually([&] {
        return nlohmann::json::parse(http_get(a.port, "/sim/stats").body)["active"].get<int>() == 1;
    }));
    proxy.process->signal(SIGTERM);
    EXPECT_EQ(client->wait_exit(20s), 0);
    EXPECT_NE(client->output().find("HTTP/2 200"), std::string::npos) << client->output();
    EXPECT_NE(client->output().find("\"currentVersion\""), std::string::npos) << client->output();
    EXPECT_TRUE(proxy.process->wait_exit(20s).has_value());
}

}  // namespace
}  // namespace gisgate::test
