// Throttling: max_active_per_server, the pool queue, 503 with Retry-After when it is full or too slow.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <mutex>
#include <thread>

#include "integration/proxy_fixture.hpp"

namespace gisgate::test {
namespace {

std::vector<HttpResponse> concurrent_gets(int port, const std::string& target, int n) {
    std::vector<HttpResponse> responses(static_cast<std::size_t>(n));
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i)
        threads.emplace_back([&, i] { responses[static_cast<std::size_t>(i)] = http_get(port, target); });
    for (auto& t : threads) t.join();
    return responses;
}

TEST(Throttle, ActiveLimitAndQueueServeFourAndRefuseTwo) {
    Sim a = start_sim("a"), b = start_sim("b");
    Proxy proxy = start_proxy(basic_config({&a, &b}, "    max_active_per_server: 1\n"
                                                     "    queue: { max: 2, timeout: 30s }\n"));
    ASSERT_NE(proxy.port, 0);
    set_fault(a, "slow", 2000);
    set_fault(b, "slow", 2000);

    const auto responses = concurrent_gets(proxy.port, "/arcgis/rest/info?f=json", 6);
    int ok = 0, refused = 0;
    for (const auto& r : responses) {
        if (r.status == 200) ++ok;
        if (r.status == 503) {
            ++refused;
            EXPECT_FALSE(r.header("Retry-After").empty());
            const auto body = nlohmann::json::parse(r.body);
            EXPECT_EQ(body["error"]["code"], 503);
        }
    }
    EXPECT_EQ(ok, 4);
    EXPECT_EQ(refused, 2);
    // Never more than one request at a time reached each site.
    for (const Sim* s : {&a, &b}) {
        const auto stats = nlohmann::json::parse(http_get(s->port, "/sim/stats").body);
        EXPECT_LE(stats["max_active"].get<int>(), 1) << s->name;
    }
}

TEST(Throttle, QueueTimeoutAnswers503) {
    Sim a = start_sim("a");
    Proxy proxy = start_proxy(basic_config({&a}, "    max_active_per_server: 1\n"
                                                 "    queue: { max: 10, timeout: 300ms }\n"));
    ASSERT_NE(proxy.port, 0);
    set_fault(a, "slow", 2500);
    const auto responses = concurrent_gets(proxy.port, "/arcgis/rest/info?f=json", 2);
    int ok = 0, timed_out = 0;
    for (const auto& r : responses) {
        if (r.status == 200) ++ok;
        if (r.status == 503 && r.body.find("queue timeout") != std::string::npos) ++timed_out;
    }
    EXPECT_EQ(ok, 1);
    EXPECT_EQ(timed_out, 1);
}

TEST(Throttle, QueuedRequestsAreServedInOrderOfArrivalWhenSlotsFree) {
    Sim a = start_sim("a");
    Proxy proxy = start_proxy(basic_config({&a}, "    max_active_per_server: 1\n"
                                                 "    queue: { max: 50, timeout: 30s }\n"));
    ASSERT_NE(proxy.port, 0);
    set_fault(a, "slow", 100);
    const auto responses = concurrent_gets(proxy.port, "/arcgis/rest/info?f=json", 8);
    for (const auto& r : responses) EXPECT_EQ(r.status, 200);
    const auto stats = nlohmann::json::parse(http_get(a.port, "/sim/stats").body);
    EXPECT_EQ(stats["max_active"].get<int>(), 1);
}

}  // namespace
}  // namespace gisgate::test
