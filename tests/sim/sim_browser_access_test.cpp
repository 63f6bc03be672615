// What a browser page needs from the sim: CORS as ArcGIS Server answers it (echoed Origin, preflights,
// --allowed-origins), and token-secured services (generateToken, 499/498, keys shared or not).
#include "sim/cors.hpp"
#include "sim/tokens.hpp"
#include "sim_fixture.hpp"

namespace gisgate::sim::testing {
namespace {

const std::string kMapService = "/arcgis/rest/services/SampleWorldCities/MapServer?f=json";

TEST_F(SimTest, CorsEchoesTheOriginAndExposesTheSiteHeaders) {
    HttpClient c(port());
    HttpResponse r = c.request("GET", kMapService, {{"Origin", "http://maps.example:8000"}});
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "http://maps.example:8000");
    EXPECT_NE(r.header("Access-Control-Expose-Headers").find("X-Gisgate-Sim-Site"), std::string::npos);
    EXPECT_NE(r.header("Vary").find("Origin"), std::string::npos);
    // Images too (the dashboard's map reads which site served a tile).
    HttpResponse tile =
        c.request("GET", "/arcgis/rest/services/SampleWorldCities/MapServer/tile/0/0/0", {{"Origin", "http://a.b"}});
    EXPECT_EQ(tile.header("Access-Control-Allow-Origin"), "http://a.b");
    // No Origin: no CORS headers (not a cross-origin request).
    EXPECT_EQ(c.request("GET", kMapService).header("Access-Control-Allow-Origin"), "");
}

TEST_F(SimTest, CorsPreflightIsAnsweredEverywhere) {
    HttpClient c(port());
    for (const std::string target : {"/arcgis/rest/services/Maps/Parcels/FeatureServer/0/applyEdits", "/sim/fault"}) {
        HttpResponse r = c.request("OPTIONS", target,
                                   {{"Origin", "http://127.0.0.1:9900"},
                                    {"Access-Control-Request-Method", "POST"},
                                    {"Access-Control-Request-Headers", "content-type"}});
        EXPECT_EQ(r.status, 200) << target;
        EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "http://127.0.0.1:9900") << target;
        EXPECT_NE(r.header("Access-Control-Allow-Methods").find("POST"), std::string::npos) << target;
        EXPECT_EQ(r.header("Access-Control-Allow-Headers"), "content-type") << target;
    }
}

TEST(SimCors, AllowedOriginsRestrict) {
    SimOptions o = local_options();
    o.allowed_origins = parse_allowed_origins("https://good.example, http://127.0.0.1:9900");
    SimServer server(o);
    HttpClient c(server.port());
    EXPECT_EQ(c.request("GET", kMapService, {{"Origin", "https://good.example"}}).header("Access-Control-Allow-Origin"),
              "https://good.example");
    HttpResponse bad = c.request("GET", kMapService, {{"Origin", "https://evil.example"}});
    EXPECT_EQ(bad.status, 200);  // answered, but the browser will not hand it to the page
    EXPECT_EQ(bad.header("Access-Control-Allow-Origin"), "");
    // The token service allows every origin, as ArcGIS's does.
    EXPECT_EQ(c.request("GET", "/arcgis/tokens/?f=json", {{"Origin", "https://evil.example"}})
                  .header("Access-Control-Allow-Origin"),
              "https://evil.example");
}

TEST(SimCors, BadAllowedOriginsAreRefusedWithTheEntry) {
    EXPECT_EQ(parse_allowed_origins("*"), std::vector<std::string>{"*"});
    for (const char* bad : {"good.example", "https://a.example/path", "", "https://a.example,,"}) {
        try {
            parse_allowed_origins(bad);
            ADD_FAILURE() << "accepted: " << bad;
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find("--allowed-origins"), std::string::npos);
        }
    }
}

SimOptions secured(const std::string& name, const std::string& key) {
    SimOptions o = local_options(name);
    o.token_key = key;
    return o;
}

std::string token_from(int port, const std::string& form = "username=ann&password=pw&f=json") {
    HttpResponse r = post_form(port, "/arcgis/tokens/generateToken", form);
    EXPECT_EQ(r.status, 200);
    json j = parse_json(r);
    EXPECT_TRUE(j.contains("token")) << r.body;
    return j.value("token", "");
}

TEST(SimTokens, SecuredServicesNeedATokenFromASiteWithTheSameKey) {
    SimServer a(secured("site-a", "shared")), b(secured("site-b", "shared")), odd(secured("site-c", "other"));
    // Open: rest/info (which says where the token service is) and the health check.
    json info = parse_json(http_get(a.port(), "/arcgis/rest/info?f=json"));
    EXPECT_EQ(info["authInfo"]["isTokenBasedSecurity"], true);
    EXPECT_EQ(info["authInfo"]["tokenServicesUrl"], "http://127.0.0.1:" + std::to_string(a.port()) + "/arcgis/tokens/");
    EXPECT_EQ(http_get(a.port(), "/arcgis/rest/info/healthcheck?f=json").status, 200);
    // Secured: no token → 499, as ArcGIS answers it.
    json refused = parse_json(http_get(a.port(), kMapService));
    EXPECT_EQ(refused["error"]["code"], 499);
    EXPECT_EQ(refused["error"]["message"], "Token Required");

    const std::string token = token_from(a.port());
    ASSERT_FALSE(token.empty());
    EXPECT_EQ(parse_json(http_get(a.port(), kMapService + "&token=" + token))["mapName"], "Layers");
    // Another site with the same key accepts it, in a header too.
    HttpClient cb(b.port());
    EXPECT_EQ(parse_json(cb.request("GET", kMapService, {{"X-Esri-Authorization", "Bearer " + token}}))["mapName"], "Layers");
    // A site with another key refuses it: 498 Invalid Token, saying why.
    json invalid = parse_json(http_get(odd.port(), kMapService + "&token=" + token));
    EXPECT_EQ(invalid["error"]["code"], 498);
    EXPECT_EQ(invalid["error"]["message"], "Invalid Token");
    EXPECT_NE(invalid["error"]["details"][0].get<std::string>().find("key differs"), std::string::npos);
    // The Services Directory listing is open (as ArcGIS lists folders to anyone), but a token given there is
    // still checked.
    EXPECT_TRUE(parse_json(http_get(a.port(), "/arcgis/rest/services?f=json")).contains("services"));
    EXPECT_EQ(parse_json(http_get(odd.port(), "/arcgis/rest/services?f=json&token=" + token))["error"]["code"], 498);
    // Tiles and output files are secured too.
    EXPECT_EQ(parse_json(http_get(a.port(), "/arcgis/rest/services/SampleWorldCities/MapServer/tile/0/0/0"))["error"]["code"],
              499);
}

TEST(SimTokens, GenerateTokenChecksItsParameters) {
    SimServer a(secured("site-a", "k"));
    json j = parse_json(post_form(a.port(), "/arcgis/tokens/generateToken", "username=ann&f=json"));
    EXPECT_EQ(j["error"]["code"], 400);
    EXPECT_EQ(j["error"]["details"][0], "Invalid username or password.");
    j = parse_json(post_form(a.port(), "/arcgis/tokens/generateToken", "username=ann&password=x&expiration=soon&f=json"));
    EXPECT_NE(j["error"]["details"][0].get<std::string>().find("expiration"), std::string::npos);
    j = parse_json(post_form(a.port(), "/arcgis/tokens/generateToken", "username=ann&password=x&expiration=5&f=json"));
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    EXPECT_NEAR(j["expires"].get<double>(), static_cast<double>(now + 5 * 60000), 60000.0);
    EXPECT_EQ(j["ssl"], false);
    // A site without --token-key has no token service to speak of.
    SimServer open(local_options("site-b"));
    EXPECT_NE(parse_json(post_form(open.port(), "/arcgis/tokens/generateToken", "username=a&password=b&f=json"))
                  ["error"]["details"][0].get<std::string>().find("not enabled"),
              std::string::npos);
}

TEST(SimTokens, ExpiredAndForgedTokensAreRefused) {
    std::string why;
    const std::string t = mint_token("k", "ann", 2000);
    EXPECT_EQ(verify_token("k", t, 1000, why), std::optional<std::string>("ann"));
    EXPECT_FALSE(verify_token("k", t, 2000, why));
    EXPECT_EQ(why, "Token has expired.");
    EXPECT_FALSE(verify_token("other", t, 1000, why));
    EXPECT_NE(why.find("key differs"), std::string::npos);
    std::string forged = t;
    forged.replace(0, 6, "626f62");  // "bob" instead of "ann"
    EXPECT_FALSE(verify_token("k", forged, 1000, why));
    EXPECT_FALSE(verify_token("k", "garbage", 1000, why));
    EXPECT_EQ(why, "Token is malformed.");
}

}  // namespace
}  // namespace gisgate::sim::testing
