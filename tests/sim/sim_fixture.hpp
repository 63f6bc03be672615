// In-process sim sites for the sim tests: a SimServer on an ephemeral loopback port, plus JSON helpers.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "sim/sim.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"

namespace gisgate::sim::testing {

using namespace std::chrono_literals;
using gisgate::test::http_get;
using gisgate::test::HttpClient;
using gisgate::test::HttpResponse;
using nlohmann::json;

inline SimOptions local_options(const std::string& name = "site-a") {
    SimOptions o;
    o.listen = "127.0.0.1:0";
    o.name = name;
    o.instances = 4;
    o.threads = 2;
    o.job_duration = std::chrono::milliseconds(200);
    return o;
}

inline json parse_json(const HttpResponse& r) {
    auto j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << r.body.substr(0, 300);
    return j;
}

inline HttpResponse post_form(int port, const std::string& target, const std::string& form) {
    HttpClient c(port);
    return c.request("POST", target, {{"Content-Type", "application/x-www-form-urlencoded"}}, form);
}

inline HttpResponse post_json(int port, const std::string& target, const json& body) {
    HttpClient c(port);
    return c.request("POST", target, {{"Content-Type", "application/json"}}, body.dump());
}

inline json stats(int port) {
    return parse_json(http_get(port, "/sim/stats"));
}

class SimTest : public ::testing::Test {
protected:
    void SetUp() override { server = std::make_unique<SimServer>(local_options()); }
    void TearDown() override { server.reset(); }
    int port() const { return server->port(); }
    json get_json(const std::string& target) {
        HttpResponse r = http_get(port(), target);
        EXPECT_EQ(r.status, 200) << target << ": " << r.body.substr(0, 300);
        return parse_json(r);
    }
    std::unique_ptr<SimServer> server;
};

}  // namespace gisgate::sim::testing
