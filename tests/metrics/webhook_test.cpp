// Alert webhook delivery against a loopback receiver: JSON POSTs in order, a failed delivery (500, or no
// answer) retried with backoff, and giving up after `retries`.
#include "metrics/webhook.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/http_receiver.hpp"
#include "support/process.hpp"

namespace gisgate::metrics {
namespace {

using namespace std::chrono_literals;

config::WebhookConfig hook(int port, std::uint32_t retries) {
    config::WebhookConfig c;
    c.url = "http://127.0.0.1:" + std::to_string(port) + "/hook?x=1";
    c.host = "127.0.0.1";
    c.port = static_cast<std::uint16_t>(port);
    c.target = "/hook?x=1";
    c.retries = retries;
    c.timeout = 2s;
    return c;
}

// Runs `io` until `done()` or a deadline; true when done.
template <class F>
bool run_until(asio::io_context& io, F done, std::chrono::milliseconds limit = 20s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
        io.run_for(20ms);
        if (io.stopped()) io.restart();
    }
    return done();
}

TEST(WebhookSender, PostsJsonInOrderAndRetriesAFailedDelivery) {
    test::HttpReceiver receiver;
    receiver.script({500, 0});  // first attempt: 500; second: connection closed without an answer
    asio::io_context io;
    WebhookSender sender(io, hook(receiver.port(), 3));
    sender.set_first_backoff(50ms);
    sender.send(R"({"rule":"a","state":"firing"})");
    sender.send(R"({"rule":"a","state":"resolved"})");
    ASSERT_TRUE(run_until(io, [&] { return sender.delivered() == 2; }));
    const auto requests = receiver.requests();
    ASSERT_EQ(requests.size(), 4u);
    for (const auto& r : requests) {
        EXPECT_EQ(r.method, "POST");
        EXPECT_EQ(r.target, "/hook?x=1");
        EXPECT_EQ(r.content_type, "application/json");
    }
    EXPECT_EQ(requests[0].answered, 500);
    EXPECT_EQ(requests[1].answered, 0);
    EXPECT_EQ(requests[2].answered, 200);
    EXPECT_EQ(nlohmann::json::parse(requests[2].body)["state"], "firing");
    EXPECT_EQ(nlohmann::json::parse(requests[3].body)["state"], "resolved");  // in order, after the retried one
    EXPECT_EQ(sender.failed_attempts(), 2u);
    EXPECT_EQ(sender.dropped(), 0u);
}

TEST(WebhookSender, GivesUpAfterTheConfiguredRetries) {
    test::HttpReceiver receiver;
    receiver.set_default_status(503);
    asio::io_context io;
    WebhookSender sender(io, hook(receiver.port(), 2));
    sender.set_first_backoff(20ms);
    sender.send(R"({"n":1})");
    ASSERT_TRUE(run_until(io, [&] { return sender.dropped() == 1; }));
    EXPECT_EQ(receiver.requests().size(), 3u);  // the attempt and two retries
    EXPECT_EQ(sender.failed_attempts(), 3u);
    EXPECT_EQ(sender.delivered(), 0u);
    receiver.set_default_status(200);  // the next event is delivered again
    sender.send(R"({"n":2})");
    ASSERT_TRUE(run_until(io, [&] { return sender.delivered() == 1; }));
}

TEST(WebhookSender, ANothingListeningReceiverCountsAsAFailedAttempt) {
    int port = 0;
    {
        test::HttpReceiver gone;  // a port that was just free
        port = gone.port();
    }
    asio::io_context io;
    WebhookSender sender(io, hook(port, 1));
    sender.set_first_backoff(10ms);
    sender.send("{}");
    ASSERT_TRUE(run_until(io, [&] { return sender.dropped() == 1; }));
    EXPECT_EQ(sender.failed_attempts(), 2u);
}

}  // namespace
}  // namespace gisgate::metrics
