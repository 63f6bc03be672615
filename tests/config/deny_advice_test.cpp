// `gisgate check`'s effective block list: which client prefixes deny_paths refuse through rewriting routes.
#include <gtest/gtest.h>

#include "config/deny_advice.hpp"
#include "config_test_util.hpp"

namespace gisgate::config {
namespace {

using testing::load;

std::vector<std::string> advice_for(const std::string& listener_keys) {
    return deny_advice(load("listeners:\n  - name: public\n    bind: 127.0.0.1:8080\n" + listener_keys +
                            "pools:\n  - name: gis\n    servers: [{ name: a, address: 127.0.0.1:6081 }]\n"));
}

TEST(DenyAdvice, RewritingRoutesShowTheClientPrefixThatReachesADeniedServerPath) {
    const auto lines = advice_for(
        "    deny_paths: [/arcgis/admin, /portal/portaladmin]\n"
        "    routes:\n"
        "      - { prefix: /server, rewrite: /arcgis, pool: gis }\n"
        "      - { prefix: /arcgis, pool: gis }\n"
        "      - { prefix: /gis, rewrite: /arcgis/admin/system, pool: gis }\n"
        "      - { prefix: /, rewrite: /arcgis, pool: gis }\n"
        "      - { prefix: /maps, rewrite: /arcgisx, pool: gis }\n");
    const std::vector<std::string> want = {
        "listener public: /arcgis/admin (as sent)",
        "listener public: /server/admin → /arcgis/admin (route /server rewrites to /arcgis)",
        "listener public: /gis → /arcgis/admin (route /gis rewrites to /arcgis/admin/system)",
        "listener public: /admin → /arcgis/admin (route / rewrites to /arcgis)",
        "listener public: /portal/portaladmin (as sent)",
    };
    EXPECT_EQ(lines, want) << "/maps → /arcgisx reaches no denied path (segment boundary)";
}

TEST(DenyAdvice, NothingForAListenerWithoutDenyPaths) {
    EXPECT_TRUE(advice_for("    routes:\n      - { prefix: /server, rewrite: /arcgis, pool: gis }\n").empty());
}

TEST(PathEscapes, DefaultIsRejectAndKeepIsReadAndWarnedAboutWithDenyPaths) {
    const std::string routes = "    routes:\n      - { prefix: /arcgis, pool: gis }\n";
    const auto config_with = [&](const std::string& keys) {
        return load("listeners:\n  - name: public\n    bind: 127.0.0.1:8080\n" + keys + routes +
                    "pools:\n  - name: gis\n    servers: [{ name: a, address: 127.0.0.1:6081 }]\n");
    };
    EXPECT_FALSE(config_with("").listeners[0].keep_path_escapes);
    EXPECT_FALSE(config_with("    path_escapes: reject\n").listeners[0].keep_path_escapes);
    const Config keep = config_with("    path_escapes: keep\n    deny_paths: [/arcgis/admin]\n");
    EXPECT_TRUE(keep.listeners[0].keep_path_escapes);
    ASSERT_EQ(deny_warnings(keep).size(), 1u);
    EXPECT_NE(deny_warnings(keep)[0].find("listener public (test.yaml:2)"), std::string::npos) << deny_warnings(keep)[0];
    EXPECT_TRUE(deny_warnings(config_with("    path_escapes: keep\n")).empty()) << "nothing to bypass";
    EXPECT_TRUE(deny_warnings(config_with("    deny_paths: [/arcgis/admin]\n")).empty());
}

TEST(PathEscapes, BadValueIsALocatedError) {
    EXPECT_TRUE(testing::fails_at("listeners:\n  - name: public\n    bind: 127.0.0.1:8080\n    path_escapes: decode\n"
                                  "    routes:\n      - { prefix: /arcgis, pool: gis }\n"
                                  "pools:\n  - name: gis\n    servers: [{ name: a, address: 127.0.0.1:6081 }]\n",
                                  4, 19, "'path_escapes' must be reject or keep, got 'decode'"));
}

}  // namespace
}  // namespace gisgate::config
