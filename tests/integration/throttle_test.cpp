// Throttling: max_active_per_server, the pool queue, 503 with Retry-After when it is full or too slow.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <future>
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
                                                     "    queue: { max: 2, timeout: 30s }\n",
                                           "", "admin: { bind: 127.0.0.1:0, token: t }\n"));
    ASSERT_NE(proxy.port, 0);
    const int admin = proxy.process->wait_for_port("admin");
    ASSERT_NE(admin, 0);
    set_fault(a, "slow", 3000);
    set_fault(b, "slow", 3000);

    // Four requests: two in flight (one per server), two waiting in the queue.
    auto first = std::async(std::launch::async, [&] { return concurrent_gets(proxy.port, "/arcgis/rest/info?f=json", 4); });
    ASSERT_TRUE(eventually([&] {
        const auto st = nlohmann::json::parse(http_get(admin, "/api/v1/status").body, nullptr, false);
        return !st.is_discarded() && st["pools"][0]["queued"] == 2;
    }));
    // Two more while the queue is full: refused at once.
    const auto refused = concurrent_gets(proxy.port, "/arcgis/rest/info?f=json", 2);
    for (const auto& r : refused) {
        EXPECT_EQ(r.status, 503);
        EXPECT_FALSE(r.header("Retry-After").empty());
        const auto body = nlohmann::json::parse(r.body);
        EXPECT_EQ(body["error"]["code"], 503);
    }
    for (const auto& r : first.get()) EXPECT_EQ(r.status, 200) << "queued requests are served when slots free";
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
