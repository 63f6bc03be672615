// Secrets in query strings never reach the access log: http::redact_target.
#include <gtest/gtest.h>

#include "http/redact.hpp"

namespace gisgate::http {
namespace {

std::string redact(std::string_view target, const std::vector<std::string>& extra = {}) {
    std::string out;
    redact_target(target, extra, out);
    return out;
}

TEST(Redact, SecretParametersAreReplacedWhateverTheirSpelling) {
    EXPECT_EQ(redact("/arcgis/rest/services?token=SECRET123&f=json"), "/arcgis/rest/services?token=REDACTED&f=json");
    EXPECT_EQ(redact("/a?f=json&TOKEN=x"), "/a?f=json&TOKEN=REDACTED");
    EXPECT_EQ(redact("/a?t%6Fken=x&f=json"), "/a?t%6Fken=REDACTED&f=json");
    EXPECT_EQ(redact("/sharing/rest/oauth2/token?client_secret=s&code=c&refresh_token=r&password=p&username=u"),
              "/sharing/rest/oauth2/token?client_secret=REDACTED&code=REDACTED&refresh_token=REDACTED&"
              "password=REDACTED&username=u");
    EXPECT_EQ(redact("/a?token=&f=json"), "/a?token=REDACTED&f=json");
    EXPECT_EQ(redact("/a?token=a&token=b"), "/a?token=REDACTED&token=REDACTED");
}

TEST(Redact, OtherParametersAndPathsAreKept) {
    EXPECT_EQ(redact("/arcgis/rest/services/token/MapServer"), "/arcgis/rest/services/token/MapServer");
    EXPECT_EQ(redact("/a?tokens=x&mytoken=y&f=json"), "/a?tokens=x&mytoken=y&f=json");
    EXPECT_EQ(redact("/a?token"), "/a?token");  // a name without a value has nothing to hide
    EXPECT_EQ(redact("/a?"), "/a?");
    EXPECT_EQ(redact("/a?&&f=json"), "/a?&&f=json");
}

TEST(Redact, ExtraNamesFromTheConfig) {
    EXPECT_EQ(redact("/a?apikey=K&f=json", {"apikey"}), "/a?apikey=REDACTED&f=json");
    EXPECT_EQ(redact("/a?ApiKey=K", {"apikey"}), "/a?ApiKey=REDACTED");
    EXPECT_EQ(redact("/a?apikey=K"), "/a?apikey=K");
}

}  // namespace
}  // namespace gisgate::http
