// Request ids, W3C traceparent and the JSON access log, through a real gisgate and a sim's /sim/echo (which
// answers with the request it received): what the server sees, what the client sees, what the log says, and the
// log file reopened on SIGUSR1 after logrotate renamed it.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "integration/proxy_fixture.hpp"

namespace gisgate::test {
namespace {

using nlohmann::json;

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// The JSON access log line whose request_id is `id` (the log is flushed by each worker within 100 ms).
std::optional<json> log_line(const std::string& path, const std::string& id) {
    std::optional<json> found;
    eventually([&] {
        std::istringstream in(read_file(path));
        std::string line;
        while (std::getline(in, line)) {
            if (line.find(id) == std::string::npos) continue;
            json j = json::parse(line, nullptr, false);
            if (j.is_object() && j.value("request_id", "") == id) {
                found = std::move(j);
                return true;
            }
        }
        return false;
    });
    return found;
}

bool is_hex(const std::string& s, std::size_t size) {
    return s.size() == size && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

struct Traced {
    Sim sim = start_sim("a");
    std::string log_path = temp_dir() + "/tracing-access.json";
    Proxy proxy;

    explicit Traced(const std::string& tracing = "") {
        std::filesystem::remove(log_path);
        std::string yaml = basic_config({&sim}, "", "    trusted_proxies: [127.0.0.2/32]\n", tracing);
        const std::string from = "access_log: stdout\n";
        yaml.replace(yaml.find(from), from.size(), "access_log: { path: " + log_path + ", format: json }\n");
        proxy = start_proxy(yaml);
    }
};

json echoed_headers(const HttpResponse& r) {
    const json body = json::parse(r.body, nullptr, false);
    EXPECT_TRUE(body.is_object()) << r.body;
    return body.is_object() ? body.value("headers", json::object()) : json::object();
}

TEST(Tracing, EveryRequestGetsAnIdThatTheServerTheClientAndTheLogShare) {
    Traced t;
    ASSERT_NE(t.proxy.port, 0);
    HttpClient client(t.proxy.port);
    const HttpResponse r = client.request("GET", "/sim/echo?f=json&token=SECRET",
                                          {{"X-Request-Id", "forged-by-client"}, {"User-Agent", "tracing-test/1"},
                                           {"Referer", "https://maps.example.com/app"}});
    ASSERT_EQ(r.status, 200) << r.body;
    const std::string id = r.header("X-Request-Id");
    EXPECT_TRUE(is_hex(id, 32)) << "an untrusted client's id is replaced: " << id;
    const json seen = echoed_headers(r);
    EXPECT_EQ(seen.value("x-request-id", ""), id);
    // No traceparent came in: gisgate starts a trace whose id is the request id, with its own span.
    const std::string traceparent = seen.value("traceparent", "");
    ASSERT_EQ(traceparent.size(), 55u) << traceparent;
    EXPECT_EQ(traceparent.substr(0, 3), "00-");
    EXPECT_EQ(traceparent.substr(3, 32), id);
    EXPECT_EQ(traceparent.substr(52), "-00");

    const auto line = log_line(t.log_path, id);
    ASSERT_TRUE(line) << read_file(t.log_path);
    const json& l = *line;
    EXPECT_EQ(l["method"], "GET");
    EXPECT_EQ(l["status"], 200);
    EXPECT_EQ(l["listener"], "public");
    EXPECT_EQ(l["protocol"], "HTTP/1.1");
    EXPECT_EQ(l["client"], "127.0.0.1");
    EXPECT_EQ(l["pool"], "gis");
    EXPECT_EQ(l["server"], "a");
    EXPECT_EQ(l["target"], "/sim/echo?f=json&token=REDACTED");
    EXPECT_EQ(l["trace_id"], id);
    EXPECT_EQ(l["user_agent"], "tracing-test/1");
    EXPECT_EQ(l["referer"], "https://maps.example.com/app");
    EXPECT_EQ(l["retries"], 0);
    EXPECT_GT(l["bytes_out"].get<double>(), static_cast<double>(r.body.size()));
    EXPECT_GT(l["bytes_in"].get<double>(), 0);
    for (const char* d : {"queue_ms", "connect_ms", "server_ms", "total_ms"}) {
        ASSERT_TRUE(l[d].is_number()) << d << ": " << l.dump();
        EXPECT_GE(l[d].get<double>(), 0) << d;
    }
    EXPECT_LE(l["server_ms"].get<double>(), l["total_ms"].get<double>());
    EXPECT_TRUE(l["time"].is_string());
    EXPECT_EQ(read_file(t.log_path).find("SECRET"), std::string::npos);

    // A second request on the same connection gets its own id.
    const HttpResponse again = client.request("GET", "/sim/echo");
    EXPECT_TRUE(is_hex(again.header("X-Request-Id"), 32));
    EXPECT_NE(again.header("X-Request-Id"), id);
}

TEST(Tracing, ATrustedProxysIdAndAValidTraceAreCarriedOn) {
    Traced t;
    ASSERT_NE(t.proxy.port, 0);
    HttpClient proxy_client(t.proxy.port, "127.0.0.1", "127.0.0.2");  // listed in trusted_proxies
    const std::string incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const HttpResponse r = proxy_client.request(
        "GET", "/sim/echo", {{"X-Request-Id", "lb1-000042"}, {"traceparent", incoming}, {"tracestate", "gis=1"}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("X-Request-Id"), "lb1-000042");
    const json seen = echoed_headers(r);
    EXPECT_EQ(seen.value("x-request-id", ""), "lb1-000042");
    const std::string traceparent = seen.value("traceparent", "");
    ASSERT_EQ(traceparent.size(), 55u) << traceparent;
    EXPECT_EQ(traceparent.substr(0, 36), incoming.substr(0, 36)) << "same trace";
    EXPECT_NE(traceparent.substr(36, 16), incoming.substr(36, 16)) << "gisgate's span is the parent now";
    EXPECT_EQ(traceparent.substr(52), "-01") << "the sampled flag is kept";
    EXPECT_EQ(seen.value("tracestate", ""), "gis=1");
    const auto line = log_line(t.log_path, "lb1-000042");
    ASSERT_TRUE(line);
    EXPECT_EQ((*line)["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");

    // A malformed traceparent starts a new trace, and its tracestate is dropped with it.
    HttpClient client(t.proxy.port);
    const HttpResponse bad = client.request("GET", "/sim/echo", {{"traceparent", "00-zz-00-01"}, {"tracestate", "x=1"}});
    const json seen_bad = echoed_headers(bad);
    EXPECT_EQ(seen_bad.value("traceparent", "").substr(3, 32), bad.header("X-Request-Id"));
    EXPECT_FALSE(seen_bad.contains("tracestate")) << seen_bad.dump();
}

TEST(Tracing, AnswersGisgateGivesItselfCarryTheIdToo) {
    Traced t;
    ASSERT_NE(t.proxy.port, 0);
    HttpClient client(t.proxy.port);
    const HttpResponse r = client.request("GET", "/nowhere");
    EXPECT_EQ(r.status, 404);
    const std::string id = r.header("X-Request-Id");
    EXPECT_TRUE(is_hex(id, 32)) << id;
    const auto line = log_line(t.log_path, id);
    ASSERT_TRUE(line);
    EXPECT_EQ((*line)["status"], 404);
    EXPECT_TRUE((*line)["pool"].is_null()) << "gisgate answered itself: " << line->dump();
    EXPECT_TRUE((*line)["service"].is_null());
}

TEST(Tracing, OffAndPropagateLeaveTheHeadersAlone) {
    Traced t("tracing: { request_id: off, traceparent: propagate }\n");
    ASSERT_NE(t.proxy.port, 0);
    HttpClient client(t.proxy.port);
    const HttpResponse r =
        client.request("GET", "/sim/echo", {{"X-Request-Id", "client-7"}, {"traceparent", "anything"}});
    ASSERT_EQ(r.status, 200);
    const json seen = echoed_headers(r);
    EXPECT_EQ(seen.value("x-request-id", ""), "client-7") << "not gisgate's header any more: passed as sent";
    EXPECT_EQ(seen.value("traceparent", ""), "anything");
    EXPECT_EQ(r.header("X-Request-Id"), "");
}

TEST(Tracing, SigusrOneReopensTheAccessLogAfterARename) {
    Traced t;
    ASSERT_NE(t.proxy.port, 0);
    HttpClient client(t.proxy.port);
    const std::string before = client.request("GET", "/sim/echo").header("X-Request-Id");
    ASSERT_TRUE(log_line(t.log_path, before));
    const std::string rotated = t.log_path + ".1";
    std::filesystem::rename(t.log_path, rotated);  // logrotate's default (no copytruncate)
    t.proxy.process->signal(SIGUSR1);
    ASSERT_TRUE(t.proxy.process->wait_for_output("access log " + t.log_path + " reopened"));
    const std::string after = client.request("GET", "/sim/echo").header("X-Request-Id");
    ASSERT_TRUE(log_line(t.log_path, after)) << "the new request goes to the new file";
    EXPECT_EQ(read_file(t.log_path).find(before), std::string::npos);
    EXPECT_NE(read_file(rotated).find(before), std::string::npos);
    EXPECT_EQ(read_file(rotated).find(after), std::string::npos);

    // copytruncate: the file is cut to 0 under gisgate, whose O_APPEND writes continue at the new end (no hole
    // of zero bytes where the old lines were).
    std::filesystem::resize_file(t.log_path, 0);
    const std::string third = client.request("GET", "/sim/echo").header("X-Request-Id");
    ASSERT_TRUE(log_line(t.log_path, third));
    const std::string text = read_file(t.log_path);
    EXPECT_EQ(text.find('\0'), std::string::npos);
    EXPECT_EQ(text.front(), '{') << text.substr(0, 80);
}

}  // namespace
}  // namespace gisgate::test
