// Access rules and the routing table on their own, without sockets.
#include <gtest/gtest.h>

#include "admin/auth.hpp"
#include "admin/router.hpp"

namespace gisgate::admin {
namespace {

using boost::asio::ip::make_address;

std::vector<config::Cidr> cidrs(std::initializer_list<const char*> list) {
    std::vector<config::Cidr> out;
    for (const char* c : list) out.push_back(*config::Cidr::parse(c));
    return out;
}

TEST(Auth, ConstantTimeEqual) {
    EXPECT_TRUE(constant_time_equal("token", "token"));
    EXPECT_FALSE(constant_time_equal("tokem", "token"));
    EXPECT_FALSE(constant_time_equal("toke", "token"));
    EXPECT_FALSE(constant_time_equal("tokentoken", "token"));  // cyclic comparison must not accept repeats
    EXPECT_FALSE(constant_time_equal("", "token"));
    EXPECT_FALSE(constant_time_equal("", ""));  // no secret configured: nothing matches
    EXPECT_FALSE(constant_time_equal("x", ""));
}

TEST(Auth, BearerHeader) {
    EXPECT_TRUE(bearer_matches("Bearer abc", "abc"));
    EXPECT_TRUE(bearer_matches("bearer abc", "abc"));
    EXPECT_TRUE(bearer_matches("BEARER \t abc  ", "abc"));
    EXPECT_FALSE(bearer_matches("Bearerabc", "abc"));
    EXPECT_FALSE(bearer_matches("Basic abc", "abc"));
    EXPECT_FALSE(bearer_matches("abc", "abc"));
    EXPECT_FALSE(bearer_matches("Bearer", "abc"));
    EXPECT_FALSE(bearer_matches("Bearer ", ""));
    EXPECT_FALSE(bearer_matches("", ""));
    EXPECT_FALSE(bearer_matches("Bearer abd", "abc"));
}

TEST(Auth, WriteMethods) {
    EXPECT_FALSE(is_write_method("GET"));
    EXPECT_FALSE(is_write_method("HEAD"));
    for (const char* m : {"PUT", "POST", "DELETE", "PATCH", "OPTIONS", "BREW"}) EXPECT_TRUE(is_write_method(m)) << m;
}

TEST(Auth, ClientAllowed) {
    const auto local = cidrs({"127.0.0.1/32", "::1/128"});
    EXPECT_TRUE(client_allowed(local, make_address("127.0.0.1")));
    EXPECT_TRUE(client_allowed(local, make_address("::1")));
    EXPECT_TRUE(client_allowed(local, make_address("::ffff:127.0.0.1")));  // v4-mapped counts as v4
    EXPECT_FALSE(client_allowed(local, make_address("127.0.0.2")));
    EXPECT_FALSE(client_allowed(local, make_address("::2")));

    const auto ten = cidrs({"10.0.0.0/8"});
    EXPECT_TRUE(client_allowed(ten, make_address("10.200.1.1")));
    EXPECT_TRUE(client_allowed(ten, make_address("::ffff:10.200.1.1")));
    EXPECT_FALSE(client_allowed(ten, make_address("127.0.0.1")));
    EXPECT_FALSE(client_allowed({}, make_address("127.0.0.1")));  // empty list allows nobody
}

TEST(Router, PercentDecoding) {
    EXPECT_EQ(percent_decode("a%2Fb"), "a/b");
    EXPECT_EQ(percent_decode("%41%62c"), "Abc");
    EXPECT_EQ(percent_decode("a+b"), "a+b");
    EXPECT_EQ(percent_decode(""), "");
    EXPECT_FALSE(percent_decode("%"));
    EXPECT_FALSE(percent_decode("%4"));
    EXPECT_FALSE(percent_decode("%G1"));
}

TEST(Router, SplitPath) {
    using V = std::vector<std::string>;
    EXPECT_EQ(split_path("/"), V{});
    EXPECT_EQ(split_path("/a/b"), (V{"a", "b"}));
    EXPECT_EQ(split_path("/a/b/"), (V{"a", "b", ""}));
    EXPECT_EQ(split_path("/a%2Fb/c?x=/y"), (V{"a/b", "c"}));  // an escaped '/' stays in its segment
    EXPECT_FALSE(split_path("http://host/a"));
    EXPECT_FALSE(split_path("*"));
    EXPECT_FALSE(split_path("/a%zz"));
}

TEST(Router, MatchesMethodAndPatternAndCapturesParameters) {
    std::string seen;
    Router router({
        {"GET", "/", [](const RouteRequest&) { return json_reply(200, "root"); }},
        {"GET", "/things/{id}", [&](const RouteRequest& r) {
             seen = r.param("id") + "|" + r.param("missing");
             return json_reply(200, "get");
         }},
        {"PUT", "/things/{id}", [](const RouteRequest& r) { return json_reply(200, std::string(r.body)); }},
        {"POST", "/boom", [](const RouteRequest&) -> Reply { throw std::runtime_error("kaput"); }},
    });
    EXPECT_EQ(router.dispatch("GET", "/", "").body, "\"root\"\n");
    EXPECT_EQ(router.dispatch("GET", "/things/a%20b?q", "").status, 200);
    EXPECT_EQ(seen, "a b|");
    EXPECT_EQ(router.dispatch("PUT", "/things/x", "{\"v\":1}").body, "\"{\\\"v\\\":1}\"\n");

    auto r = router.dispatch("DELETE", "/things/x", "");
    EXPECT_EQ(r.status, 405);
    ASSERT_EQ(r.headers.size(), 1u);
    EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>{"Allow", "GET, PUT"}));

    EXPECT_EQ(router.dispatch("GET", "/things", "").status, 404);
    EXPECT_EQ(router.dispatch("GET", "/things/", "").status, 404);  // an empty parameter matches nothing
    EXPECT_EQ(router.dispatch("GET", "/things/x/y", "").status, 404);
    EXPECT_EQ(router.dispatch("GET", "/things/%", "").status, 400);

    r = router.dispatch("POST", "/boom", "");
    EXPECT_EQ(r.status, 500);
    EXPECT_NE(r.body.find("kaput"), std::string::npos);
}

TEST(Router, ErrorShape) {
    const auto r = error_reply(409, "name taken");
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(r.content_type, "application/json");
    EXPECT_EQ(nlohmann::json::parse(r.body), nlohmann::json::parse(R"({"error":{"code":409,"message":"name taken"}})"));
}

}  // namespace
}  // namespace gisgate::admin
