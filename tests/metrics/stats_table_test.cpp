// Per-worker statistics: service keys (case-insensitive, per type), the kinds without a service, the
// `max_services` bound shared by all workers ("_other"), no allocation for a known key, and the control
// thread's merged view (Collector) and per-second window.
#include "metrics/collector.hpp"
#include "metrics/stats_table.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <thread>

// Counts heap allocations of this test binary, to show that recording a known key allocates nothing.
namespace {
std::atomic<std::size_t> g_allocations{0};
}  // namespace
void* operator new(std::size_t size) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}
// Every form is replaced, so nothing allocated by one allocator is freed by another (ASan checks the pairs).
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(size ? size : 1);
}
void* operator new[](std::size_t size) { return operator new(size); }
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept { return operator new(size, tag); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace gisgate::metrics {
namespace {

RequestRecord service_request(std::string_view folder, std::string_view service, std::string_view type,
                              int status = 200, std::uint64_t micros = 1000) {
    RequestRecord r;
    r.kind = Kind::service;
    r.folder = folder;
    r.service = service;
    r.type = type;
    r.pool = "gis";
    r.server = "a";
    r.status = status;
    r.micros = micros;
    r.bytes_in = 100;
    r.bytes_out = 1000;
    return r;
}

struct Row {
    std::string service;
    std::string type;
    std::string kind;
    TrafficTotals totals;
};

std::vector<Row> merged_services(std::initializer_list<const WorkerStats*> workers) {
    Collector c;
    std::vector<const WorkerStats*> list(workers);
    c.refresh(list);
    std::vector<Row> rows;
    for (const auto& e : c.services()) rows.push_back({e.key.joined(), e.key.c, to_string(e.key.kind), e.totals});
    return rows;
}

const Row* find(const std::vector<Row>& rows, std::string_view service, std::string_view type = {}) {
    for (const auto& r : rows)
        if (r.service == service && r.type == type) return &r;
    return nullptr;
}

TEST(WorkerStats, ServicesAreKeyedByFolderNameAndTypeCaseInsensitively) {
    ServiceRegistry registry(200);
    WorkerStats w(registry);
    w.record(service_request("Maps", "Streets", "MapServer", 200, 1000));
    w.record(service_request("maps", "STREETS", "mapserver", 500, 3000));
    w.record(service_request("Maps", "Parcels", "FeatureServer"));
    w.record(service_request("Maps", "Parcels", "MapServer"));
    w.record(service_request("", "SampleWorldCities", "MapServer", 304));
    const auto rows = merged_services({&w});
    ASSERT_EQ(rows.size(), 4u);
    const Row* streets = find(rows, "Maps/Streets", "MapServer");
    ASSERT_NE(streets, nullptr);  // first spelling kept
    EXPECT_EQ(streets->kind, "service");
    EXPECT_EQ(streets->totals.requests(), 2u);
    EXPECT_EQ(streets->totals.errors(), 1u);
    EXPECT_EQ(streets->totals.by_class[1], 1u);
    EXPECT_EQ(streets->totals.bytes_in, 200u);
    EXPECT_EQ(streets->totals.bytes_out, 2000u);
    EXPECT_EQ(streets->totals.latency.count(), 2u);
    EXPECT_EQ(streets->totals.latency.sum_micros(), 4000u);
    ASSERT_NE(find(rows, "Maps/Parcels", "FeatureServer"), nullptr);
    ASSERT_NE(find(rows, "Maps/Parcels", "MapServer"), nullptr);
    const Row* cities = find(rows, "SampleWorldCities", "MapServer");
    ASSERT_NE(cities, nullptr);
    EXPECT_EQ(cities->totals.by_class[2], 1u);  // 3xx
}

TEST(WorkerStats, PortalAdminOtherAndServicelessRestTrafficHaveRowsOfTheirOwn) {
    ServiceRegistry registry(1);
    WorkerStats w(registry);
    RequestRecord r;
    r.status = 200;
    r.kind = Kind::portal;
    w.record(r);
    r.kind = Kind::admin;
    w.record(r);
    w.record(r);
    r.kind = Kind::other;
    w.record(r);
    r.kind = Kind::service;  // the catalog root or an output file: no service named
    w.record(r);
    w.record(service_request("", "A", "MapServer"));
    w.record(service_request("", "B", "MapServer"));  // beyond max_services 1
    const auto rows = merged_services({&w});
    ASSERT_NE(find(rows, "portal"), nullptr);
    EXPECT_EQ(find(rows, "portal")->kind, "portal");
    EXPECT_EQ(find(rows, "admin")->totals.requests(), 2u);
    EXPECT_EQ(find(rows, "other")->kind, "other");
    EXPECT_EQ(find(rows, "other")->totals.requests(), 2u);
    ASSERT_NE(find(rows, "A", "MapServer"), nullptr);
    EXPECT_EQ(find(rows, "B", "MapServer"), nullptr);
    ASSERT_NE(find(rows, "_other"), nullptr);
    EXPECT_EQ(find(rows, "_other")->kind, "service");
    EXPECT_EQ(find(rows, "_other")->totals.requests(), 1u);
}

TEST(WorkerStats, MaxServicesBoundsTheServicesOfAllWorkersTogether) {
    ServiceRegistry registry(2);
    WorkerStats w1(registry), w2(registry);
    w1.record(service_request("", "A", "MapServer"));
    w1.record(service_request("", "B", "MapServer"));
    w2.record(service_request("", "b", "MAPSERVER"));  // admitted by worker 1 already: a row of its own here too
    w2.record(service_request("", "C", "MapServer"));  // third service: _other
    w2.record(service_request("", "C", "MapServer"));
    w1.record(service_request("", "D", "ImageServer"));
    for (int i = 0; i < 10; ++i) w2.record(service_request("", "E" + std::to_string(i), "MapServer"));
    const auto rows = merged_services({&w1, &w2});
    EXPECT_EQ(registry.admitted(), 2u);
    ASSERT_NE(find(rows, "A", "MapServer"), nullptr);
    ASSERT_NE(find(rows, "B", "MapServer"), nullptr);
    EXPECT_EQ(find(rows, "B", "MapServer")->totals.requests(), 2u);  // merged across workers
    EXPECT_EQ(find(rows, "C", "MapServer"), nullptr);
    ASSERT_NE(find(rows, "_other"), nullptr);
    EXPECT_EQ(find(rows, "_other")->totals.requests(), 13u);
    std::size_t service_rows = 0;
    for (const auto& r : rows) service_rows += r.kind == "service" ? 1 : 0;
    EXPECT_EQ(service_rows, 3u);  // A, B, _other
}

TEST(WorkerStats, ARaisedLimitAdmitsNewServices) {
    ServiceRegistry registry(1);
    WorkerStats w(registry);
    w.record(service_request("", "A", "MapServer"));
    w.record(service_request("", "B", "MapServer"));
    registry.set_max_services(2);
    w.record(service_request("", "C", "MapServer"));  // B is remembered as _other; C gets the free place
    const auto rows = merged_services({&w});
    ASSERT_NE(find(rows, "C", "MapServer"), nullptr);
    EXPECT_EQ(find(rows, "_other")->totals.requests(), 1u);
}

TEST(WorkerStats, RecordingAKnownKeyDoesNotAllocate) {
    ServiceRegistry registry(200);
    WorkerStats w(registry);
    const RequestRecord r = service_request("Maps", "Streets", "MapServer");
    RequestRecord portal;
    portal.kind = Kind::portal;
    portal.status = 200;
    w.record(r);  // first sight allocates the slots
    w.record(portal);
    const std::size_t before = g_allocations.load();
    for (int i = 0; i < 10000; ++i) {
        w.record(r);
        w.record(portal);
    }
    EXPECT_EQ(g_allocations.load(), before);
}

TEST(WorkerStats, ServerRowsArePerPoolAndServerIncludingAnswersWithoutAServer) {
    ServiceRegistry registry(200);
    WorkerStats w(registry);
    RequestRecord r = service_request("", "A", "MapServer", 200);
    r.retries = 1;
    w.record(r);
    r.server = "";  // gisgate answered (queue full)
    r.status = 503;
    r.retries = 0;
    w.record(r);
    r.pool = "";  // no route
    r.status = 404;
    w.record(r);
    Collector c;
    std::vector<const WorkerStats*> list{&w};
    c.refresh(list);
    ASSERT_EQ(c.servers().size(), 3u);
    EXPECT_EQ(c.servers()[0].key.a, "gis");
    EXPECT_EQ(c.servers()[0].key.b, "a");
    EXPECT_EQ(c.servers()[0].totals.retries, 1u);
    EXPECT_EQ(c.servers()[1].key.b, "");
    EXPECT_EQ(c.servers()[1].totals.errors(), 1u);
    EXPECT_EQ(c.servers()[2].key.a, "");
    EXPECT_EQ(c.servers()[2].totals.by_class[3], 1u);
}

TEST(WorkerStats, TunnelsOpenPerServiceAreOpenedMinusClosedAcrossWorkers) {
    ServiceRegistry registry(200);
    WorkerStats w1(registry), w2(registry);
    // Each handshake is a 101 request; record() hands back the service's slot for the tunnel's open and close.
    StatsSlot* s1 = w1.record(service_request("Streams", "Vehicles", "StreamServer", 101));
    StatsSlot* s2 = w2.record(service_request("Streams", "Vehicles", "StreamServer", 101));
    StatsSlot* s3 = w2.record(service_request("Streams", "Vehicles", "StreamServer", 101));
    EXPECT_EQ(s2, s3);
    s1->counters.tunnel_opened();
    s2->counters.tunnel_opened();
    s3->counters.tunnel_opened();
    s3->counters.tunnel_closed();
    w1.record(service_request("", "Roads", "MapServer"));
    const auto rows = merged_services({&w1, &w2});
    const Row* stream = find(rows, "Streams/Vehicles", "StreamServer");
    ASSERT_NE(stream, nullptr);
    EXPECT_EQ(stream->totals.tunnels_open(), 2u);
    EXPECT_EQ(stream->totals.tunnels_opened, 3u);
    EXPECT_EQ(stream->totals.by_class[0], 3u);  // the handshakes, as 1xx answers
    EXPECT_EQ(find(rows, "Roads", "MapServer")->totals.tunnels_open(), 0u);
}

TEST(WorkerStats, AReaderWalkingTheTablesWhileAWorkerAddsKeysSeesExactTotalsAfterwards) {
    ServiceRegistry registry(1000);
    WorkerStats w(registry);
    std::atomic<bool> done{false};
    std::thread writer([&] {
        std::vector<std::string> names;
        for (int i = 0; i < 300; ++i) names.push_back("S" + std::to_string(i));
        for (int round = 0; round < 20; ++round)
            for (const auto& name : names) w.record(service_request("", name, "MapServer"));
        done = true;
    });
    Collector reader;
    std::vector<const WorkerStats*> list{&w};
    std::uint64_t previous = 0;
    for (int i = 0; i < 1000 && !done; ++i) {  // bounded: the writer finishes long before
        reader.refresh(list);
        std::uint64_t total = 0;
        for (const auto& e : reader.services()) total += e.totals.requests();
        EXPECT_GE(total, previous);  // cumulative: never goes back
        previous = total;
    }
    writer.join();
    reader.refresh(list);
    std::uint64_t total = 0;
    for (const auto& e : reader.services()) total += e.totals.requests();
    EXPECT_EQ(reader.services().size(), 300u);
    EXPECT_EQ(total, 300u * 20u);
}

TEST(Collector, AdvanceReturnsOnlyWhatChangedAsSparseDeltas) {
    ServiceRegistry registry(200);
    WorkerStats w1(registry), w2(registry);
    std::vector<const WorkerStats*> list{&w1, &w2};
    Collector c;
    w1.record(service_request("", "A", "MapServer", 200, 1000));
    w2.record(service_request("", "A", "MapServer", 502, 5000));
    w2.record(service_request("", "B", "MapServer", 200, 7000));
    c.refresh(list);
    Collector::Deltas services, servers;
    c.advance(services, servers);
    ASSERT_EQ(services.size(), 2u);
    EXPECT_EQ(services[0].second.requests(), 2u);
    EXPECT_EQ(services[0].second.by_class[4], 1u);
    EXPECT_EQ(services[0].second.buckets.size(), 2u);  // two distinct latencies, nothing else stored
    EXPECT_EQ(services[0].second.latency_sum, 6000u);

    w1.record(service_request("", "B", "MapServer", 200, 9000));
    c.refresh(list);
    c.refresh(list);  // a read in between (/metrics) changes nothing
    c.advance(services, servers);
    ASSERT_EQ(services.size(), 1u);
    EXPECT_EQ(c.services()[services[0].first].key.b, "B");
    EXPECT_EQ(services[0].second.requests(), 1u);
    c.advance(services, servers);
    EXPECT_TRUE(services.empty());
    EXPECT_TRUE(servers.empty());
}

TEST(SlidingWindow, SumsTheSlicesWithinTheAskedSecondsAndForgetsOlderOnes) {
    SlidingWindow window(5);
    for (std::int64_t second = 100; second < 110; ++second) {
        SlidingWindow::Slice s;
        s.second = second;
        TrafficTotals before, after;
        after.by_class[1] = 1;
        after.latency.record(static_cast<std::uint64_t>(second) * 1000);
        s.services.emplace_back(0, TrafficDelta::between(before, after));
        s.rejections.emplace_back("gis", 2);
        window.push(std::move(s));
    }
    std::vector<TrafficTotals> sums;
    window.sum_services(109, 3, sums);  // seconds 107, 108, 109
    ASSERT_EQ(sums.size(), 1u);
    EXPECT_EQ(sums[0].requests(), 3u);
    EXPECT_EQ(sums[0].latency.min_micros() / 1000, 107u);
    sums.clear();
    window.sum_services(109, 60, sums);  // only the span (5 s) is kept
    EXPECT_EQ(sums[0].requests(), 5u);
    EXPECT_EQ(window.rejections(109, 2, "gis"), 4u);
    EXPECT_EQ(window.rejections(109, 2, ""), 4u);
    EXPECT_EQ(window.rejections(109, 2, "other"), 0u);
    sums.clear();
    window.sum_services(200, 5, sums);  // long after: nothing in the window
    EXPECT_TRUE(sums.empty());
}

}  // namespace
}  // namespace gisgate::metrics

namespace gisgate::metrics {
namespace {

SlidingWindow::Slice one_request_slice(std::int64_t second, std::uint32_t id, std::uint64_t micros) {
    SlidingWindow::Slice s;
    s.second = second;
    TrafficTotals before, after;
    after.by_class[1] = 1;
    after.latency.record(micros);
    s.services.emplace_back(id, TrafficDelta::between(before, after));
    s.rejections.emplace_back("gis", 1);
    return s;
}

TEST(SlidingWindow, LongWindowsKeepMinuteSlicesBeyondTheFineSeconds) {
    SlidingWindow window(3600);
    const std::int64_t start = 1'000'020;  // 20 s past a whole minute
    for (std::int64_t t = 0; t < 1800; ++t) window.push(one_request_slice(start + t, t % 2, 1000 + t));
    const std::int64_t now = start + 1799;
    // 120 one-second slices plus one per minute for the rest: bounded however long the window.
    EXPECT_LE(window.slices(), static_cast<std::size_t>(SlidingWindow::kFineSeconds + 1800 / 60 + 2));
    std::vector<TrafficTotals> sums;
    window.sum_services(now, 60, sums);  // within the fine part: exact
    ASSERT_EQ(sums.size(), 2u);
    EXPECT_EQ(sums[0].requests() + sums[1].requests(), 60u);
    EXPECT_EQ(window.rejections(now, 120, "gis"), 120u);
    sums.clear();
    window.sum_services(now, 3600, sums);  // everything, merged per id and bucket
    EXPECT_EQ(sums[0].requests() + sums[1].requests(), 1800u);
    EXPECT_EQ(sums[0].requests(), 900u);
    EXPECT_EQ(sums[0].latency.count(), 900u);
    EXPECT_NEAR(static_cast<double>(sums[1].latency.min_micros()), 1001.0, 1001.0 / 64);  // the oldest, t = 1
    sums.clear();
    window.sum_services(now, 600, sums);  // exact to the minute at the far end
    const auto n = sums[0].requests() + sums[1].requests();
    EXPECT_GE(n, 600u);
    EXPECT_LE(n, 660u);
}

}  // namespace
}  // namespace gisgate::metrics
