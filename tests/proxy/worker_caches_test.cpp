// WorkerCaches: a worker's stores outlive runtimes; a reload keeps them (new limits), drops the ones of pools
// that lost their cache, and publishes the counters the control thread reads.
#include "proxy/worker_caches.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "config/loader.hpp"

namespace gisgate::proxy {
namespace {

std::shared_ptr<const Runtime> runtime_with(const std::string& gis_cache, const std::string& other_cache = "",
                                            const Runtime* previous = nullptr) {
    return build_runtime(config::load_string(fmt::format(R"(workers: 2
listeners: [{{ name: l, bind: 127.0.0.1:1, routes: [{{ prefix: /, pool: gis }}] }}]
pools:
  - name: gis
{}    servers: [{{ name: a, address: 127.0.0.1:6081 }}]
  - name: other
{}    servers: [{{ name: a, address: 127.0.0.1:6082 }}]
)",
                                                         gis_cache, other_cache),
                                             "caches.yaml"),
                         previous);
}

std::shared_ptr<cache::Entry> entry(const std::string& key) {
    auto e = std::make_shared<cache::Entry>();
    e->key = key;
    e->body = "tile";
    return e;
}

TEST(WorkerCaches, AReloadKeepsTheStoresAndTheirEntries) {
    const auto first = runtime_with("    cache: { memory: 64MB, paths: [\"*/tile/*\"] }\n");
    WorkerCaches caches(2);
    caches.sync(*first);
    const auto store = caches.find("gis");
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(caches.find("other"), nullptr) << "no cache: no store";
    store->insert(entry("/a/tile/1"));
    const auto second = runtime_with("    cache: { memory: 64MB, max_object: 1KB, paths: [\"*/tile/*\"] }\n", "",
                                     first.get());
    caches.sync(*second);
    EXPECT_EQ(caches.find("gis"), store) << "the same store";
    EXPECT_NE(store->find("/a/tile/1"), nullptr);
    EXPECT_EQ(store->max_object(), 1024u) << "with the new limits";
}

TEST(WorkerCaches, APoolThatLosesItsCacheLosesItsStoreAndOneThatGainsOneStartsEmpty) {
    const auto first = runtime_with("    cache: { memory: 64MB, paths: [\"*/tile/*\"] }\n");
    WorkerCaches caches(2);
    caches.sync(*first);
    const std::shared_ptr<cache::Store> held = caches.find("gis");  // a request in flight keeps its store
    const auto second = runtime_with("", "    cache: { memory: 8MB, paths: [\"*/tile/*\"] }\n", first.get());
    caches.sync(*second);
    EXPECT_EQ(caches.find("gis"), nullptr);
    ASSERT_NE(caches.find("other"), nullptr);
    EXPECT_EQ(caches.find("other")->stats().entries.load(), 0u);
    held->insert(entry("/late"));  // still usable by the request that held it
    const auto counters = caches.counters();
    ASSERT_EQ(counters->size(), 1u);
    EXPECT_EQ((*counters)[0].first, "other");
}

TEST(WorkerCaches, PurgeByPoolOrEveryPoolAndCountersFollowTheStores) {
    const auto rt = runtime_with("    cache: { memory: 64MB, paths: [\"*/tile/*\"] }\n",
                                 "    cache: { memory: 64MB, paths: [\"*/tile/*\"] }\n");
    WorkerCaches caches(2);
    caches.sync(*rt);
    caches.find("gis")->insert(entry("/World/tile/1"));
    caches.find("gis")->insert(entry("/World/tile/2"));
    caches.find("other")->insert(entry("/World/tile/1"));
    EXPECT_EQ(caches.purge("gis", "/world/"), 2u) << "case-insensitive, like ArcGIS paths";
    EXPECT_EQ(caches.purge("", "/World/"), 1u);
    const auto counters = caches.counters();
    ASSERT_EQ(counters->size(), 2u);
    EXPECT_EQ((*counters)[0].first, "gis");
    EXPECT_EQ((*counters)[0].second->purged.load(), 2u);
    EXPECT_EQ((*counters)[1].second->stored.load(), 1u);
}

}  // namespace
}  // namespace gisgate::proxy
