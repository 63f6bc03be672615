// Balancing algorithms in isolation: exact smooth-weighted round robin, least_conn by load per weight.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <vector>

#include "balance/least_conn.hpp"
#include "balance/round_robin.hpp"

namespace gisgate::balance {
namespace {

std::vector<std::unique_ptr<ServerRuntime>> make_servers(std::vector<std::uint32_t> weights) {
    std::vector<std::unique_ptr<ServerRuntime>> out;
    std::uint32_t id = 1;
    for (auto w : weights) {
        auto s = std::make_unique<ServerRuntime>();
        s->id = id;
        s->name = std::string(1, static_cast<char>('a' + id - 1));
        s->weight = w;
        ++id;
        out.push_back(std::move(s));
    }
    return out;
}

std::vector<ServerRuntime*> raw(const std::vector<std::unique_ptr<ServerRuntime>>& servers) {
    std::vector<ServerRuntime*> out;
    for (const auto& s : servers) out.push_back(s.get());
    return out;
}

TEST(RoundRobin, EqualWeightsRotate) {
    auto servers = make_servers({1, 1, 1});
    auto candidates = raw(servers);
    RoundRobin rr;
    std::vector<std::string> order;
    for (int i = 0; i < 6; ++i) order.push_back(candidates[rr.pick(candidates)]->name);
    EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "c", "a", "b", "c"}));
}

TEST(RoundRobin, WeightsAreExactOverAWindowAndInterleaved) {
    auto servers = make_servers({5, 1, 1});
    auto candidates = raw(servers);
    RoundRobin rr;
    std::map<std::string, int> counts;
    std::string sequence;
    for (int i = 0; i < 7; ++i) {
        const auto& name = candidates[rr.pick(candidates)]->name;
        counts[name]++;
        sequence += name;
    }
    EXPECT_EQ(counts["a"], 5);
    EXPECT_EQ(counts["b"], 1);
    EXPECT_EQ(counts["c"], 1);
    EXPECT_EQ(sequence, "aabacaa");  // smooth: the heavy server is not picked five times in a row
}

TEST(RoundRobin, ServersLeavingAndReturningKeepTheBalance) {
    auto servers = make_servers({1, 1});
    auto both = raw(servers);
    std::vector<ServerRuntime*> only_b{both[1]};
    RoundRobin rr;
    std::map<std::string, int> counts;
    for (int i = 0; i < 10; ++i) counts[both[rr.pick(both)]->name]++;
    for (int i = 0; i < 10; ++i) counts[only_b[rr.pick(only_b)]->name]++;
    for (int i = 0; i < 10; ++i) counts[both[rr.pick(both)]->name]++;
    EXPECT_EQ(counts["a"], 10);
    EXPECT_EQ(counts["b"], 20);
}

TEST(LeastConn, PicksTheServerWithFewestActive) {
    auto servers = make_servers({1, 1, 1});
    servers[0]->active = 5;
    servers[1]->active = 1;
    servers[2]->active = 3;
    auto candidates = raw(servers);
    LeastConn lc;
    for (int i = 0; i < 5; ++i) EXPECT_EQ(candidates[lc.pick(candidates)]->name, "b");
}

TEST(LeastConn, LoadIsComparedPerUnitOfWeight) {
    auto servers = make_servers({4, 1});
    servers[0]->active = 6;  // 1.5 per weight
    servers[1]->active = 2;  // 2 per weight
    auto candidates = raw(servers);
    LeastConn lc;
    EXPECT_EQ(candidates[lc.pick(candidates)]->name, "a");
}

TEST(LeastConn, TiesRotate) {
    auto servers = make_servers({1, 1, 1});
    auto candidates = raw(servers);
    LeastConn lc;
    std::map<std::string, int> counts;
    for (int i = 0; i < 30; ++i) counts[candidates[lc.pick(candidates)]->name]++;
    EXPECT_EQ(counts["a"], 10);
    EXPECT_EQ(counts["b"], 10);
    EXPECT_EQ(counts["c"], 10);
}

}  // namespace
}  // namespace gisgate::balance
