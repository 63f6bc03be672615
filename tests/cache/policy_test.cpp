#include "cache/policy.hpp"

#include <gtest/gtest.h>

#include <string>

#include "http/request_head.hpp"
#include "http/response_head.hpp"
#include "support/parsed_heads.hpp"

namespace gisgate::cache {
namespace {

using testing::ParsedRequest;
using testing::ParsedResponse;

config::CacheConfig tiles() {
    config::CacheConfig c;
    c.paths = {"*/MapServer/tile/*", "*/ImageServer/tile/*"};
    return c;
}

constexpr std::int64_t kNow = 1'790'000'000;  // 2026-09-21

TEST(CacheGlob, StarMatchesAcrossSegmentsAndIgnoresCase) {
    EXPECT_TRUE(path_glob_match("*/MapServer/tile/*", "/arcgis/rest/services/World/MapServer/tile/3/2/1"));
    EXPECT_TRUE(path_glob_match("*/MapServer/tile/*", "/arcgis/rest/services/Maps/Streets/mapserver/TILE/0/0/0"));
    EXPECT_FALSE(path_glob_match("*/MapServer/tile/*", "/arcgis/rest/services/World/MapServer/export"));
    EXPECT_FALSE(path_glob_match("*/MapServer/tile/*", "/arcgis/rest/services/World/FeatureServer/tile/1"));
    EXPECT_TRUE(path_glob_match("/arcgis/rest/services/*", "/arcgis/rest/services/"));
    EXPECT_TRUE(path_glob_match("*", ""));
    EXPECT_FALSE(path_glob_match("/a", "/ab"));
    EXPECT_TRUE(path_glob_match("*a*b*c", "xxaxxbxxbxc"));
}

TEST(CacheRequest, PlainTileGetMayUseTheCache) {
    ParsedRequest r("GET /arcgis/rest/services/W/MapServer/tile/1/0/0 HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(request_use(r.head, tiles()), RequestUse::lookup);
    ParsedRequest h("HEAD /t HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(request_use(h.head, tiles()), RequestUse::lookup);
}

TEST(CacheRequest, CredentialsAndUnsafeMethodsBypassUnlessAllowed) {
    ParsedRequest post("POST /t HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(request_use(post.head, tiles()), RequestUse::bypass);
    ParsedRequest auth("GET /t HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer abc\r\n\r\n");
    EXPECT_EQ(request_use(auth.head, tiles()), RequestUse::bypass);
    ParsedRequest token("GET /t?f=image&TOKEN=abc HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(request_use(token.head, tiles()), RequestUse::bypass);
    ParsedRequest not_token("GET /t?tokenish=1&f=json HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(request_use(not_token.head, tiles()), RequestUse::lookup);

    auto open = tiles();
    open.allow_authorized = true;
    open.allow_token = true;
    EXPECT_EQ(request_use(auth.head, open), RequestUse::lookup);
    EXPECT_EQ(request_use(token.head, open), RequestUse::lookup);
}

// Every form of credential ArcGIS clients send: both authorization headers, a `token` parameter in any case
// or encoding, and the portal's and server's sign-in cookies.
TEST(CacheRequest, EveryCredentialFormBypasses) {
    for (const char* raw : {
             "GET /t HTTP/1.1\r\nHost: x\r\nX-Esri-Authorization: Bearer abc\r\n\r\n",
             "GET /t HTTP/1.1\r\nHost: x\r\nx-esri-authorization: Bearer abc\r\n\r\n",
             "GET /t HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YTpi\r\n\r\n",
             "GET /t?%74oken=abc HTTP/1.1\r\nHost: x\r\n\r\n",
             "GET /t?f=image&T%6FKEN=abc HTTP/1.1\r\nHost: x\r\n\r\n",
             "GET /t?Token=abc HTTP/1.1\r\nHost: x\r\n\r\n",
             "GET /t HTTP/1.1\r\nHost: x\r\nCookie: agstoken=abc\r\n\r\n",
             "GET /t HTTP/1.1\r\nHost: x\r\nCookie: theme=dark; esri_auth=%7B%22token%22%7D\r\n\r\n",
             "GET /t HTTP/1.1\r\nHost: x\r\nCookie: ESRI_AOPC=1\r\n\r\n",
             "GET /t HTTP/1.1\r\nHost: x\r\nCookie: a=1\r\nCookie: AGS_ROLES=x\r\n\r\n",
         }) {
        ParsedRequest r(raw);
        EXPECT_EQ(request_use(r.head, tiles()), RequestUse::bypass) << raw;
        auto open = tiles();
        open.allow_authorized = true;
        open.allow_token = true;
        EXPECT_EQ(request_use(r.head, open), RequestUse::lookup) << raw << " with allow_authorized/allow_token";
    }
    // Other cookies are not credentials, unless `bypass_cookies: all`.
    ParsedRequest theme("GET /t HTTP/1.1\r\nHost: x\r\nCookie: theme=dark; lang=en\r\n\r\n");
    EXPECT_EQ(request_use(theme.head, tiles()), RequestUse::lookup);
    auto all = tiles();
    all.bypass_all_cookies = true;
    EXPECT_EQ(request_use(theme.head, all), RequestUse::bypass);
    auto custom = tiles();
    custom.bypass_cookies = {"sso_session"};
    ParsedRequest sso("GET /t HTTP/1.1\r\nHost: x\r\nCookie: SSO_SESSION=1\r\n\r\n");
    EXPECT_EQ(request_use(sso.head, custom), RequestUse::bypass);
}

TEST(CacheRequest, NoCacheReloadsAndNoStoreBypasses) {
    ParsedRequest reload("GET /t HTTP/1.1\r\nHost: x\r\nCache-Control: max-age=0, no-cache\r\n\r\n");
    EXPECT_EQ(request_use(reload.head, tiles()), RequestUse::reload);
    ParsedRequest pragma("GET /t HTTP/1.1\r\nHost: x\r\nPragma: no-cache\r\n\r\n");
    EXPECT_EQ(request_use(pragma.head, tiles()), RequestUse::reload);
    ParsedRequest no_store("GET /t HTTP/1.1\r\nHost: x\r\nCache-Control: no-store\r\n\r\n");
    EXPECT_EQ(request_use(no_store.head, tiles()), RequestUse::bypass);
}

TEST(CacheResponse, MaxAgeAndEtagMakeAStorableTile) {
    ParsedResponse r("HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nETag: \"abc\"\r\nCache-Control: max-age=86400\r\n"
               "Content-Length: 3\r\n\r\n");
    const auto p = response_policy(r.head, kNow);
    EXPECT_TRUE(p.storable);
    EXPECT_EQ(p.fresh_for, 86400);
    EXPECT_EQ(p.etag, "\"abc\"");
}

TEST(CacheResponse, SMaxAgeWinsAndAgeIsSubtracted) {
    ParsedResponse r("HTTP/1.1 200 OK\r\nCache-Control: max-age=10, s-maxage=600\r\nAge: 100\r\nContent-Length: 0\r\n\r\n");
    const auto p = response_policy(r.head, kNow);
    EXPECT_TRUE(p.storable);
    EXPECT_EQ(p.fresh_for, 500);
}

TEST(CacheResponse, ExpiresRelativeToDate) {
    ParsedResponse r("HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nExpires: Sun, 06 Nov 1994 09:49:37 GMT\r\n"
               "Content-Length: 0\r\n\r\n");
    const auto p = response_policy(r.head, kNow);
    EXPECT_TRUE(p.storable);
    EXPECT_EQ(p.fresh_for, 3600);
    ParsedResponse bad("HTTP/1.1 200 OK\r\nExpires: 0\r\nContent-Length: 0\r\n\r\n");
    EXPECT_FALSE(response_policy(bad.head, kNow).storable) << "an invalid Expires means already expired";
}

TEST(CacheResponse, PrivateNoStoreCookiesVaryAndErrorsAreNeverStored) {
    for (const char* head : {
             "HTTP/1.1 200 OK\r\nCache-Control: private, max-age=60\r\nContent-Length: 0\r\n\r\n",
             "HTTP/1.1 200 OK\r\nCache-Control: no-store\r\nContent-Length: 0\r\n\r\n",
             "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nSet-Cookie: a=b\r\nContent-Length: 0\r\n\r\n",
             "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nVary: Cookie\r\nContent-Length: 0\r\n\r\n",
             "HTTP/1.1 500 Oops\r\nCache-Control: max-age=60\r\nContent-Length: 0\r\n\r\n",
             "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",  // nothing says it may be reused
         }) {
        ParsedResponse r(head);
        EXPECT_FALSE(response_policy(r.head, kNow).storable) << head;
    }
}

TEST(CacheResponse, NoCacheWithValidatorIsKeptButAlwaysRevalidated) {
    ParsedResponse r("HTTP/1.1 200 OK\r\nCache-Control: no-cache\r\nETag: W/\"v1\"\r\nContent-Length: 0\r\n\r\n");
    const auto p = response_policy(r.head, kNow);
    EXPECT_TRUE(p.storable);
    EXPECT_EQ(p.fresh_for, 0);
}

TEST(CacheResponse, VaryAcceptEncodingIsAVariant) {
    ParsedResponse r("HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nVary: Accept-Encoding\r\nContent-Length: 0\r\n\r\n");
    const auto p = response_policy(r.head, kNow);
    EXPECT_TRUE(p.storable);
    EXPECT_TRUE(p.gzip_variant);
}

TEST(CacheDates, ParseAndFormatRoundTrip) {
    EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
    char text[30];
    format_http_date(784111777, text);
    EXPECT_STREQ(text, "Sun, 06 Nov 1994 08:49:37 GMT");
    EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), -1);
    EXPECT_EQ(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"), -1);
    EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 25:49:37 GMT"), -1);
}

TEST(CacheConditional, IfNoneMatchAndIfModifiedSince) {
    ParsedRequest inm("GET /t HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"x\", W/\"abc\"\r\n\r\n");
    EXPECT_TRUE(not_modified(inm.head, "\"abc\"", ""));
    EXPECT_FALSE(not_modified(inm.head, "\"abd\"", ""));
    ParsedRequest star("GET /t HTTP/1.1\r\nHost: x\r\nIf-None-Match: *\r\n\r\n");
    EXPECT_TRUE(not_modified(star.head, "\"q\"", ""));
    ParsedRequest ims("GET /t HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n");
    EXPECT_TRUE(not_modified(ims.head, "", "Sun, 06 Nov 1994 08:00:00 GMT"));
    EXPECT_FALSE(not_modified(ims.head, "", "Sun, 06 Nov 1994 09:00:00 GMT"));
    ParsedRequest none("GET /t HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_FALSE(not_modified(none.head, "\"abc\"", "Sun, 06 Nov 1994 08:00:00 GMT"));
}

TEST(CacheConditional, AcceptsGzip) {
    ParsedRequest yes("GET /t HTTP/1.1\r\nHost: x\r\nAccept-Encoding: br, gzip;q=0.8\r\n\r\n");
    EXPECT_TRUE(accepts_gzip(yes.head));
    ParsedRequest refused("GET /t HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip;q=0, br\r\n\r\n");
    EXPECT_FALSE(accepts_gzip(refused.head));
    ParsedRequest none("GET /t HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_FALSE(accepts_gzip(none.head));
}

}  // namespace
}  // namespace gisgate::cache
