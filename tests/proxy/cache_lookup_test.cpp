// CacheLookup: the response cache's part of one request, without a session or sockets (the store's
// coalescing wait needs an event loop, so lookups run as coroutines on a local io_context).
#include "proxy/cache_lookup.hpp"

#include <gtest/gtest.h>

#include "support/parsed_heads.hpp"

#include <optional>

namespace gisgate::proxy {
namespace {

using testing::ParsedRequest;
using testing::ParsedResponse;

using namespace std::chrono_literals;

config::CacheConfig tiles() {
    config::CacheConfig c;
    c.paths = {"*/MapServer/tile/*"};
    return c;
}

constexpr const char* kTile = "/arcgis/rest/services/World/MapServer/tile/3/2/1";

struct Rig {
    asio::io_context context{1};
    std::shared_ptr<cache::Store> store = std::make_shared<cache::Store>(1 << 20, 1 << 16);

    // Runs lookup() to its end; the request head it may extend is `request_head`.
    std::shared_ptr<const cache::Entry> lookup(CacheLookup& c, const http::RequestHead& head,
                                               std::string& request_head) {
        std::optional<std::shared_ptr<const cache::Entry>> result;
        asio::co_spawn(context, [&]() -> awaitable<void> { result = co_await c.lookup(head, 1s, request_head); },
                       asio::detached);
        context.restart();
        context.run_for(5s);
        EXPECT_TRUE(result.has_value());
        return result.value_or(nullptr);
    }

    // One GET through the cache: a miss is answered by `response` + `body`; returns whether it was a hit.
    bool get(const std::string& response, const std::string& body = "tile") {
        ParsedRequest req(std::string("GET ") + kTile + " HTTP/1.1\r\nHost: h\r\n\r\n");
        CacheLookup c;
        EXPECT_TRUE(c.begin(tiles(), store, req.head, kTile));
        std::string out = "GET x HTTP/1.1\r\n\r\n";
        if (lookup(c, req.head, out)) return true;
        ParsedResponse r(response);
        EXPECT_FALSE(c.on_response_head(r.head, http::Method::get, "X-Request-Id"));
        c.capture(body.data(), body.size());
        c.on_response_end(true);
        c.finish();
        return false;
    }
};

TEST(CacheLookup, PathsOutsideTheCacheAreNeitherTaggedNorLookedUp) {
    Rig rig;
    ParsedRequest req("GET /arcgis/rest/services/World/MapServer/export HTTP/1.1\r\nHost: h\r\n\r\n");
    CacheLookup c;
    EXPECT_FALSE(c.begin(tiles(), rig.store, req.head, "/arcgis/rest/services/World/MapServer/export"));
    EXPECT_FALSE(c.tagged());
}

TEST(CacheLookup, CredentialedRequestsAreTaggedButBypassTheStore) {
    Rig rig;
    ParsedRequest req(std::string("GET ") + kTile + " HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer x\r\n\r\n");
    CacheLookup c;
    EXPECT_FALSE(c.begin(tiles(), rig.store, req.head, kTile));
    EXPECT_TRUE(c.tagged()) << "the answer still says X-Cache: MISS";
    c.finish();
    EXPECT_FALSE(c.tagged()) << "finish() resets for the next request";
}

TEST(CacheLookup, AStorableAnswerIsKeptAndTheNextRequestIsAHit) {
    Rig rig;
    EXPECT_FALSE(rig.get("HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 4\r\n\r\n"));
    EXPECT_TRUE(rig.get("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n"));
    EXPECT_EQ(rig.store->stats().hits.load(), 1u);
    EXPECT_EQ(rig.store->stats().misses.load(), 1u);
    EXPECT_EQ(rig.store->stats().stored.load(), 1u);
}

TEST(CacheLookup, ANoStoreAnswerIsNotKeptAndACutBodyNeither) {
    Rig rig;
    EXPECT_FALSE(rig.get("HTTP/1.1 200 OK\r\nCache-Control: no-store\r\nContent-Length: 4\r\n\r\n"));
    EXPECT_FALSE(rig.get("HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 4\r\n\r\n", "ti"))
        << "stored, the 2 bytes were the end as far as the lookup knows";
    ParsedRequest req(std::string("GET ") + kTile + "?x=1 HTTP/1.1\r\nHost: h\r\n\r\n");
    CacheLookup c;
    ASSERT_TRUE(c.begin(tiles(), rig.store, req.head, kTile));
    std::string out = "GET x HTTP/1.1\r\n\r\n";
    EXPECT_EQ(rig.lookup(c, req.head, out), nullptr);
    ParsedResponse r("HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 4\r\n\r\n");
    c.on_response_head(r.head, http::Method::get, "X-Request-Id");
    c.capture("ti", 2);
    c.on_response_end(false);  // the server went away mid-body
    c.finish();
    EXPECT_EQ(rig.store->stats().stored.load(), 1u) << "the cut answer was not kept";
}

TEST(CacheLookup, AStaleEntryIsRevalidatedAndTheServers304RefreshesIt) {
    Rig rig;
    rig.get("HTTP/1.1 200 OK\r\nCache-Control: max-age=0\r\nETag: \"v1\"\r\nContent-Length: 4\r\n\r\n");
    ParsedRequest req(std::string("GET ") + kTile + " HTTP/1.1\r\nHost: h\r\n\r\n");
    CacheLookup c;
    ASSERT_TRUE(c.begin(tiles(), rig.store, req.head, kTile));
    std::string out = "GET x HTTP/1.1\r\nHost: h\r\n\r\n";
    EXPECT_EQ(rig.lookup(c, req.head, out), nullptr) << "stale: go to the server";
    EXPECT_EQ(out, "GET x HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"v1\"\r\n\r\n");
    ParsedResponse not_modified("HTTP/1.1 304 Not Modified\r\nCache-Control: max-age=60\r\n\r\n");
    EXPECT_TRUE(c.on_response_head(not_modified.head, http::Method::get, "X-Request-Id"));
    ASSERT_NE(c.refreshed(), nullptr);
    EXPECT_EQ(c.refreshed()->body, "tile");
    c.finish();
    EXPECT_EQ(rig.store->stats().revalidated.load(), 1u);
    EXPECT_TRUE(rig.get("HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n")) << "fresh again for 60 s";
}

TEST(CacheLookup, AClientsOwnValidatorsAreNotReplacedByOurs) {
    Rig rig;
    rig.get("HTTP/1.1 200 OK\r\nCache-Control: max-age=0\r\nETag: \"v1\"\r\nContent-Length: 4\r\n\r\n");
    ParsedRequest req(std::string("GET ") + kTile + " HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"v0\"\r\n\r\n");
    CacheLookup c;
    ASSERT_TRUE(c.begin(tiles(), rig.store, req.head, kTile));
    std::string out = "GET x HTTP/1.1\r\n\r\n";
    EXPECT_EQ(rig.lookup(c, req.head, out), nullptr);
    EXPECT_EQ(out, "GET x HTTP/1.1\r\n\r\n");
    ParsedResponse not_modified("HTTP/1.1 304 Not Modified\r\n\r\n");
    EXPECT_FALSE(c.on_response_head(not_modified.head, http::Method::get, "X-Request-Id")) << "the client's 304, relayed as is";
}

TEST(CacheLookup, ConcurrentMissesWaitForTheFirstFetch) {
    Rig rig;
    ParsedRequest req(std::string("GET ") + kTile + " HTTP/1.1\r\nHost: h\r\n\r\n");
    CacheLookup first, second;
    ASSERT_TRUE(first.begin(tiles(), rig.store, req.head, kTile));
    ASSERT_TRUE(second.begin(tiles(), rig.store, req.head, kTile));
    std::string out1 = "GET x HTTP/1.1\r\n\r\n", out2 = out1;
    EXPECT_EQ(rig.lookup(first, req.head, out1), nullptr) << "the first one fetches";
    std::optional<std::shared_ptr<const cache::Entry>> waited;
    asio::co_spawn(rig.context, [&]() -> awaitable<void> { waited = co_await second.lookup(req.head, 5s, out2); },
                   asio::detached);
    rig.context.restart();
    rig.context.poll();
    EXPECT_FALSE(waited.has_value()) << "the second one waits";
    ParsedResponse r("HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 4\r\n\r\n");
    first.on_response_head(r.head, http::Method::get, "X-Request-Id");
    first.capture("tile", 4);
    first.on_response_end(true);
    first.finish();  // wakes the waiter
    rig.context.restart();
    rig.context.run_for(5s);
    ASSERT_TRUE(waited.has_value());
    ASSERT_NE(*waited, nullptr) << "answered from the first one's fetch";
    EXPECT_EQ((*waited)->body, "tile");
    EXPECT_EQ(rig.store->stats().coalesced.load(), 1u);
}

TEST(CachedResponseHead, CarriesAgeHitAndTheKeepAliveVerdict) {
    cache::Entry entry;
    entry.status = 200;
    entry.reason = "OK";
    entry.headers = "Content-Type: image/png\r\nETag: \"v1\"\r\n";
    entry.etag = "\"v1\"";
    entry.body = "tile";
    entry.stored_at = 1000;
    ParsedRequest get11(std::string("GET ") + kTile + " HTTP/1.1\r\nHost: h\r\n\r\n");
    std::string out;
    EXPECT_EQ(cached_response_head(entry, get11.head, true, 1042, out), 200);
    EXPECT_EQ(out,
              "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nETag: \"v1\"\r\nContent-Length: 4\r\nAge: 42\r\n"
              "X-Cache: HIT\r\n\r\n");
    ParsedRequest get10(std::string("GET ") + kTile + " HTTP/1.0\r\n\r\n");
    cached_response_head(entry, get10.head, true, 1000, out);
    EXPECT_NE(out.find("Connection: keep-alive\r\n"), std::string::npos);
    cached_response_head(entry, get11.head, false, 1000, out);
    EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
    ParsedRequest conditional(std::string("GET ") + kTile + " HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"v1\"\r\n\r\n");
    EXPECT_EQ(cached_response_head(entry, conditional.head, true, 1000, out), 304);
    EXPECT_EQ(out, "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nAge: 0\r\nX-Cache: HIT\r\n\r\n");
}

// A server's request id (under the configured name or the default one) and trace context belong to the request
// that filled the entry: not stored; each hit carries its own id once.
TEST(CacheLookup, EchoedRequestIdsAndTraceContextAreNotStoredAndEachHitGetsItsOwn) {
    Rig rig;
    ParsedRequest req(std::string("GET ") + kTile + " HTTP/1.1\r\nHost: h\r\n\r\n");
    {
        CacheLookup c;
        ASSERT_TRUE(c.begin(tiles(), rig.store, req.head, kTile));
        std::string out = "GET x HTTP/1.1\r\n\r\n";
        ASSERT_EQ(rig.lookup(c, req.head, out), nullptr);
        ParsedResponse r("HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nX-Correlation-ID: first\r\n"
                         "X-Request-Id: first\r\ntraceparent: 00-x\r\ntracestate: k=v\r\nContent-Length: 4\r\n\r\n");
        EXPECT_FALSE(c.on_response_head(r.head, http::Method::get, "X-Correlation-ID"));
        c.capture("tile", 4);
        c.on_response_end(true);
        c.finish();
    }
    CacheLookup c;
    ASSERT_TRUE(c.begin(tiles(), rig.store, req.head, kTile));
    std::string out = "GET x HTTP/1.1\r\n\r\n";
    const auto entry = rig.lookup(c, req.head, out);
    ASSERT_NE(entry, nullptr);
    EXPECT_EQ(entry->headers, "Cache-Control: max-age=60\r\n");
    std::string head;
    cached_response_head(*entry, req.head, true, entry->stored_at, head, "X-Correlation-ID", "second");
    EXPECT_EQ(head, "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 4\r\nAge: 0\r\nX-Cache: HIT\r\n"
                    "X-Correlation-ID: second\r\n\r\n");
    c.finish();
}

}  // namespace
}  // namespace gisgate::proxy
