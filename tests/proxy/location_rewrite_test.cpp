// Redirects follow the public URL: proxy::rewrite_location / rewrite_refresh.
#include <gtest/gtest.h>

#include "proxy/location_rewrite.hpp"

namespace gisgate::proxy {
namespace {

const LocationRewrite kRoute{"/arcgis", "/server", "gis01:6080", "", "gis.example.com", "https"};

std::string loc(std::string_view value, const LocationRewrite& r = kRoute) {
    std::string out;
    return rewrite_location(value, r, out) ? out : "(unchanged)";
}

TEST(LocationRewrite, TheServersHostAndContextBecomeTheClients) {
    EXPECT_EQ(loc("http://gis01:6080/arcgis/rest/services"), "https://gis.example.com/server/rest/services");
    EXPECT_EQ(loc("HTTP://GIS01:6080/arcgis/rest/services?f=json"), "https://gis.example.com/server/rest/services?f=json");
    EXPECT_EQ(loc("http://gis01:6080/arcgis"), "https://gis.example.com/server");
    EXPECT_EQ(loc("http://gis01:6080/arcgis?x=1"), "https://gis.example.com/server?x=1");
    EXPECT_EQ(loc("http://gis01:6080"), "https://gis.example.com");
    EXPECT_EQ(loc("http://gis01:6080/other/path"), "https://gis.example.com/other/path") << "host only";
    EXPECT_EQ(loc("/arcgis/rest/services/"), "/server/rest/services/");
    EXPECT_EQ(loc("/ArcGIS/rest"), "/server/rest");
    EXPECT_EQ(loc("https://gis.example.com/arcgis/home"), "https://gis.example.com/server/home") << "client host, path";
}

TEST(LocationRewrite, AnythingElseIsLeftAlone) {
    EXPECT_EQ(loc("https://www.arcgis.com/sharing/rest"), "(unchanged)");
    EXPECT_EQ(loc("http://gis02:6080/arcgis/rest"), "(unchanged)") << "another server";
    EXPECT_EQ(loc("/arcgisx/rest"), "(unchanged)");
    EXPECT_EQ(loc("/other"), "(unchanged)");
    EXPECT_EQ(loc("rest/services"), "(unchanged)") << "relative";
    EXPECT_EQ(loc("//gis01:6080/arcgis"), "(unchanged)") << "scheme-relative";
    EXPECT_EQ(loc("https://gis.example.com/other"), "(unchanged)");
}

TEST(LocationRewrite, HostOverrideAndRootPrefixes) {
    const LocationRewrite host_only{"", "/arcgis", "10.0.0.5:6443", "gis.internal", "maps.example.com", "https"};
    EXPECT_EQ(loc("https://gis.internal/arcgis/rest", host_only), "https://maps.example.com/arcgis/rest");
    EXPECT_EQ(loc("/arcgis/rest", host_only), "(unchanged)") << "no path rewrite on this route";
    const LocationRewrite to_root{"/arcgis", "/", "s:1", "", "h", "http"};
    EXPECT_EQ(loc("/arcgis/rest", to_root), "/rest");
    EXPECT_EQ(loc("/arcgis", to_root), "/");
    const LocationRewrite from_root{"/", "/server", "s:1", "", "h", "http"};
    EXPECT_EQ(loc("/rest/services", from_root), "/server/rest/services");
    const LocationRewrite no_host{"/arcgis", "/server", "s:1", "", "", "http"};
    EXPECT_EQ(loc("http://s:1/arcgis/rest", no_host), "(unchanged)") << "a 1.0 client without Host";
}

TEST(LocationRewrite, RefreshUrl) {
    std::string out;
    ASSERT_TRUE(rewrite_refresh("5; url=http://gis01:6080/arcgis/rest", kRoute, out));
    EXPECT_EQ(out, "5; url=https://gis.example.com/server/rest");
    ASSERT_TRUE(rewrite_refresh("0;URL='/arcgis/manager'", kRoute, out));
    EXPECT_EQ(out, "0;URL='/server/manager'");
    EXPECT_FALSE(rewrite_refresh("30", kRoute, out));
    EXPECT_FALSE(rewrite_refresh("1; url=https://elsewhere/x", kRoute, out));
}

}  // namespace
}  // namespace gisgate::proxy
