// Which pools decide whether a node is ready (GET /api/v1/ready, `gisgate ctl health`): those of public routes.
#include "proxy/readiness.hpp"

#include <gtest/gtest.h>

#include "config/loader.hpp"

namespace gisgate::proxy {
namespace {

using Names = std::vector<std::string>;

TEST(ReadinessPools, PublicRoutesAndTcpListenersCountRestrictedListenersDoNot) {
    const auto config = config::load_string(R"(
listeners:
  - name: public
    bind: 127.0.0.1:0
    routes:
      - { prefix: /portal, rewrite: /arcgis, pool: portal }
      - { prefix: /server, rewrite: /arcgis, pool: hosting }
      - { prefix: /arcgis, pool: hosting }
  - name: hosting-admin
    bind: 127.0.0.1:0
    allow: [10.20.0.0/24]
    routes: [{ prefix: /arcgis, pool: admin-only }]
  - name: relay
    bind: 127.0.0.1:0
    mode: tcp
    pool: raw
pools:
  - { name: portal, servers: [{ name: p, address: 127.0.0.1:1 }] }
  - { name: hosting, servers: [{ name: h, address: 127.0.0.1:2 }] }
  - { name: admin-only, servers: [{ name: a, address: 127.0.0.1:3 }] }
  - { name: raw, servers: [{ name: r, address: 127.0.0.1:4 }] }
)",
                                            "ready.yaml");
    EXPECT_EQ(public_pools(config), (Names{"portal", "hosting", "raw"}));
}

TEST(ReadinessPools, WithoutAPublicListenerEveryListenerCounts) {
    const auto config = config::load_string(R"(
listeners:
  - { name: inside, bind: 127.0.0.1:0, allow: [10.0.0.0/8], routes: [{ prefix: /, pool: one }] }
  - { name: lab, bind: 127.0.0.1:0, allow: [192.168.0.0/16], routes: [{ prefix: /, pool: two }] }
pools:
  - { name: one, servers: [{ name: a, address: 127.0.0.1:1 }] }
  - { name: two, servers: [{ name: b, address: 127.0.0.1:2 }] }
)",
                                            "ready-inside.yaml");
    EXPECT_EQ(public_pools(config), (Names{"one", "two"}));
}

}  // namespace
}  // namespace gisgate::proxy
