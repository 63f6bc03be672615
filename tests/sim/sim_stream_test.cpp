// The StreamServer: its description, and WebSocket subscriptions (ordered, gap-free `seq` per subscriber,
// several subscribers, plain requests refused, subscribers leaving, the site stopping, TLS).
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <algorithm>
#include <optional>
#include <thread>
#include <type_traits>

#include "sim_fixture.hpp"

namespace gisgate::sim::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using gisgate::test::eventually;

constexpr const char* kVehiclesWs = "/arcgis/ws/services/Streams/Vehicles/StreamServer/subscribe";
constexpr const char* kVehiclesRest = "/arcgis/rest/services/Streams/Vehicles/StreamServer/subscribe";

// A blocking WebSocket client with deadlines: every operation runs on the client's own io_context until it
// completes or its time is up (then the socket is closed and the operation reports the failure).
template <bool Tls>
class StreamClient {
public:
    using Next = std::conditional_t<Tls, asio::ssl::stream<beast::tcp_stream>, beast::tcp_stream>;

    StreamClient(int port, const std::string& target) : tls_(asio::ssl::context::tls_client), ws_(make_ws()) {
        const asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
        error = run([&](auto done) { beast::get_lowest_layer(ws_).async_connect(ep, done); });
        if (error)
            return;
        if constexpr (Tls) {
            error = run([&](auto done) { ws_.next_layer().async_handshake(asio::ssl::stream_base::client, done); });
            if (error)
                return;
        }
        ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
            if (kind == websocket::frame_type::pong)
                ++pongs;
        });
        const std::string host = "127.0.0.1:" + std::to_string(port);
        error = run([&](auto done) { ws_.async_handshake(response, host, target, done); });
    }

    bool open() const { return !error && ws_.is_open(); }

    // The next message, or nullopt (then `error` says why: closed, timed out, ...).
    std::optional<std::string> read(std::chrono::milliseconds timeout = 5s) {
        buffer_.consume(buffer_.size());
        error = run([&](auto done) { ws_.async_read(buffer_, done); }, timeout);
        if (error)
            return std::nullopt;
        return beast::buffers_to_string(buffer_.data());
    }

    beast::error_code ping() {
        return run([&](auto done) { ws_.async_ping({}, done); });
    }

    // A close handshake, as a well-behaved client leaves.
    beast::error_code close() {
        return run([&](auto done) { ws_.async_close(websocket::close_code::normal, done); });
    }

    // Leaves without a close frame.
    void drop() {
        beast::error_code ignored;
        beast::get_lowest_layer(ws_).socket().close(ignored);
    }

    websocket::close_reason reason() const { return ws_.reason(); }

    websocket::response_type response;
    beast::error_code error;
    int pongs = 0;

private:
    websocket::stream<Next> make_ws() {
        if constexpr (Tls) {
            tls_.set_verify_mode(asio::ssl::verify_none);  // the site's self-signed certificate
            return websocket::stream<Next>(ioc_, tls_);
        } else {
            return websocket::stream<Next>(ioc_);
        }
    }

    template <class Start>
    beast::error_code run(Start start, std::chrono::milliseconds timeout = 5s) {
        bool finished = false;
        beast::error_code result;
        start([&](beast::error_code ec, auto&&...) {
            finished = true;
            result = ec;
        });
        ioc_.restart();
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!finished && ioc_.run_one_until(deadline) > 0) {
        }
        if (!finished) {
            drop();
            while (!finished && ioc_.run_one() > 0) {
            }
            return asio::error::timed_out;
        }
        return result;
    }

    asio::io_context ioc_;
    asio::ssl::context tls_;
    websocket::stream<Next> ws_;
    beast::flat_buffer buffer_;
};

using PlainClient = StreamClient<false>;

// Reads `n` messages and checks they are features numbered 1..n for one subscriber; returns that subscriber.
template <bool Tls>
std::int64_t expect_sequence(StreamClient<Tls>& client, std::int64_t n) {
    std::int64_t subscriber = -1;
    for (std::int64_t expected = 1; expected <= n; ++expected) {
        auto text = client.read();
        EXPECT_TRUE(text) << "message " << expected << ": " << client.error.message();
        if (!text)
            return subscriber;
        json message = json::parse(*text, nullptr, false);
        EXPECT_FALSE(message.is_discarded()) << *text;
        if (message.is_discarded())
            return subscriber;
        EXPECT_EQ(message["attributes"]["seq"], expected) << *text;
        if (message["attributes"]["seq"] != expected)
            return subscriber;
        if (subscriber < 0)
            subscriber = message["attributes"]["subscriber"].get<std::int64_t>();
        EXPECT_EQ(message["attributes"]["subscriber"], subscriber);
        EXPECT_TRUE(message["attributes"]["TrackId"].is_string());
        EXPECT_TRUE(message["geometry"]["x"].is_number());
        EXPECT_TRUE(message["geometry"]["y"].is_number());
        EXPECT_EQ(message["geometry"]["spatialReference"]["wkid"], 4326);
    }
    return subscriber;
}

class SimStreamTest : public SimTest {};

TEST_F(SimStreamTest, ServiceIsListedInItsFolder) {
    EXPECT_EQ(get_json("/arcgis/rest/services?f=json")["folders"].back(), "Streams");
    EXPECT_EQ(get_json("/arcgis/rest/services/Streams?f=json")["services"],
              json::parse(R"([{"name":"Streams/Vehicles","type":"StreamServer"}])"));
}

TEST_F(SimStreamTest, DescriptionHasTheStreamServiceShape) {
    const json d = get_json("/arcgis/rest/services/Streams/Vehicles/StreamServer?f=json");
    EXPECT_TRUE(d["currentVersion"].is_number());
    EXPECT_EQ(d["geometryType"], "esriGeometryPoint");
    EXPECT_EQ(d["spatialReference"]["wkid"], 4326);
    EXPECT_TRUE(d.contains("objectIdField"));
    EXPECT_EQ(d["displayField"], "TrackId");
    EXPECT_EQ(d["timeInfo"]["trackIdField"], "TrackId");
    EXPECT_TRUE(d.contains("keepLatestArchive"));
    EXPECT_EQ(d["capabilities"], "broadcast,subscribe");
    std::vector<std::string> fields;
    for (const auto& f : d["fields"]) fields.push_back(f["name"].get<std::string>());
    EXPECT_NE(std::find(fields.begin(), fields.end(), "seq"), fields.end());
    EXPECT_NE(std::find(fields.begin(), fields.end(), "subscriber"), fields.end());
    ASSERT_EQ(d["streamUrls"].size(), 1u);
    EXPECT_EQ(d["streamUrls"][0]["transport"], "ws");
    EXPECT_EQ(d["streamUrls"][0]["urls"],
              json::array({"ws://127.0.0.1:" + std::to_string(port()) + "/arcgis/ws/services/Streams/Vehicles/StreamServer"}));
    // Names match case-insensitively; other resources under the service do not exist.
    EXPECT_EQ(get_json("/arcgis/rest/services/streams/vehicles/streamserver?f=json")["displayField"], "TrackId");
    EXPECT_EQ(http_get(port(), "/arcgis/rest/services/Streams/Vehicles/StreamServer/0?f=json").status, 404);
    EXPECT_EQ(http_get(port(), "/arcgis/rest/services/Streams/Nope/StreamServer?f=json").status, 404);
}

TEST_F(SimStreamTest, SubscriberGetsEveryMessageInOrder) {
    PlainClient client(port(), std::string(kVehiclesWs) + "?interval_ms=5");
    ASSERT_TRUE(client.open()) << client.error.message();
    EXPECT_EQ(client.response.result_int(), 101);
    EXPECT_EQ(client.response["X-Gisgate-Sim-Site"], "site-a");
    expect_sequence(client, 25);
    EXPECT_EQ(stats(port())["subscribers"], 1);
    // Pings are answered while the messages go on.
    ASSERT_FALSE(client.ping());
    EXPECT_TRUE(eventually(
        [&] {
            client.read();
            return client.pongs > 0;
        },
        5s));
    EXPECT_FALSE(client.close()) << "a close handshake";
    EXPECT_TRUE(eventually([&] { return stats(port())["subscribers"] == 0; }, 5s));
}

TEST_F(SimStreamTest, RestSubscribeUrlWorksToo) {
    PlainClient client(port(), std::string(kVehiclesRest) + "?interval_ms=1");
    ASSERT_TRUE(client.open()) << client.error.message();
    expect_sequence(client, 20);
}

TEST_F(SimStreamTest, TwoSubscribersHaveTheirOwnSequences) {
    PlainClient a(port(), std::string(kVehiclesWs) + "?interval_ms=5");
    PlainClient b(port(), std::string(kVehiclesWs) + "?interval_ms=5");
    ASSERT_TRUE(a.open()) << a.error.message();
    ASSERT_TRUE(b.open()) << b.error.message();
    EXPECT_TRUE(eventually([&] { return stats(port())["subscribers"] == 2; }, 5s));
    // Interleaved: each one's sequence is its own, whatever the other does.
    const auto first_a = expect_sequence(a, 10);
    const auto first_b = expect_sequence(b, 20);
    EXPECT_NE(first_a, first_b);
    for (std::int64_t seq = 11; seq <= 20; ++seq) {
        auto text = a.read();
        ASSERT_TRUE(text) << a.error.message();
        EXPECT_EQ(json::parse(*text)["attributes"]["seq"], seq);
        EXPECT_EQ(json::parse(*text)["attributes"]["subscriber"], first_a);
    }
}

TEST_F(SimStreamTest, SubscriberThatPausesLosesNothing) {
    PlainClient client(port(), std::string(kVehiclesWs) + "?interval_ms=1");
    ASSERT_TRUE(client.open()) << client.error.message();
    expect_sequence(client, 3);
    std::this_thread::sleep_for(300ms);  // not reading: the site waits for each write, it does not drop
    for (std::int64_t seq = 4; seq <= 200; ++seq) {
        auto text = client.read();
        ASSERT_TRUE(text) << client.error.message();
        ASSERT_EQ(json::parse(*text)["attributes"]["seq"], seq);
    }
}

TEST_F(SimStreamTest, PlainRequestsToSubscribeAre400) {
    for (const char* target : {kVehiclesWs, kVehiclesRest}) {
        const HttpResponse r = http_get(port(), target);
        EXPECT_EQ(r.status, 400) << target;
        EXPECT_EQ(parse_json(r)["error"]["code"], 400) << target;
        EXPECT_EQ(r.header("X-Gisgate-Sim-Site"), "site-a");
    }
    EXPECT_EQ(post_form(port(), kVehiclesRest, "f=json").status, 400);
    // Unknown stream services and other ws paths are not found.
    EXPECT_EQ(http_get(port(), "/arcgis/ws/services/Streams/Nope/StreamServer/subscribe").status, 404);
    EXPECT_EQ(http_get(port(), "/arcgis/ws/services/Streams/Vehicles/StreamServer").status, 404);
    // An upgrade with a bad interval, or to a service that does not exist, is refused before the handshake.
    PlainClient bad(port(), std::string(kVehiclesWs) + "?interval_ms=soon");
    EXPECT_FALSE(bad.open());
    EXPECT_EQ(bad.response.result_int(), 400);
    PlainClient missing(port(), "/arcgis/ws/services/Streams/Nope/StreamServer/subscribe");
    EXPECT_FALSE(missing.open());
    EXPECT_EQ(missing.response.result_int(), 404);
    // Requests still work, none is left active.
    EXPECT_EQ(http_get(port(), "/arcgis/rest/info/healthcheck?f=json").status, 200);
    EXPECT_TRUE(eventually([&] { return stats(port())["active"] == 0; }, 5s));
}

TEST_F(SimStreamTest, SubscribersLeavingAreHandled) {
    {
        PlainClient polite(port(), std::string(kVehiclesWs) + "?interval_ms=2");
        ASSERT_TRUE(polite.open()) << polite.error.message();
        expect_sequence(polite, 5);
        EXPECT_FALSE(polite.close());
    }
    {
        PlainClient rude(port(), std::string(kVehiclesWs) + "?interval_ms=2");
        ASSERT_TRUE(rude.open()) << rude.error.message();
        expect_sequence(rude, 5);
        rude.drop();  // no close frame: the next write fails
    }
    EXPECT_TRUE(eventually([&] { return stats(port())["subscribers"] == 0; }, 5s)) << stats(port()).dump();
    // The site keeps serving, subscriptions included.
    EXPECT_EQ(get_json("/arcgis/rest/services/Streams/Vehicles/StreamServer?f=json")["geometryType"],
              "esriGeometryPoint");
    PlainClient again(port(), std::string(kVehiclesWs) + "?interval_ms=2");
    ASSERT_TRUE(again.open()) << again.error.message();
    expect_sequence(again, 5);
}

TEST(SimStream, StoppingTheSiteClosesSubscribers) {
    SimServer site(local_options("stream-stop"));
    PlainClient reading(site.port(), std::string(kVehiclesWs) + "?interval_ms=10");
    PlainClient idle(site.port(), std::string(kVehiclesWs) + "?interval_ms=10");
    ASSERT_TRUE(reading.open()) << reading.error.message();
    ASSERT_TRUE(idle.open()) << idle.error.message();
    expect_sequence(reading, 2);
    const auto started = std::chrono::steady_clock::now();
    std::thread stopper([&] { site.stop(); });
    // The reading subscriber gets a close frame (going away); its messages end.
    for (int i = 0; i < 1000 && reading.read(); ++i) {
    }
    EXPECT_EQ(reading.error, websocket::error::closed) << reading.error.message();
    EXPECT_EQ(reading.reason().code, websocket::close_code::going_away);
    stopper.join();
    EXPECT_LT(std::chrono::steady_clock::now() - started, 4s);
    // The one that did not read during the stop finds its connection closed, whatever it had buffered.
    for (int i = 0; i < 1000 && idle.read(); ++i) {
    }
    EXPECT_TRUE(idle.error) << "the connection ended";
    EXPECT_NE(idle.error, asio::error::timed_out);
}

TEST(SimStream, SubscriptionOverTls) {
    SimOptions o = local_options("stream-tls");
    o.tls_self_signed = true;
    o.stream_interval = std::chrono::milliseconds(2);  // the site's default pace, no interval_ms
    SimServer site(o);
    StreamClient<true> client(site.port(), kVehiclesWs);
    ASSERT_TRUE(client.open()) << client.error.message();
    expect_sequence(client, 20);
    EXPECT_FALSE(client.close());
}

}  // namespace
}  // namespace gisgate::sim::testing
