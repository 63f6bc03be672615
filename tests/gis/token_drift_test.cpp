// Token-key drift: the comparison of who accepts whose tokens, on its own (the exchange with real sites is in
// tests/integration/gis_routing_test.cpp).
#include <gtest/gtest.h>

#include "gis/token_drift.hpp"

namespace gisgate::gis {
namespace {

using Accepted = std::set<std::pair<std::string, std::string>>;

// Every ordered pair within each group accepts the other's tokens.
Accepted groups(const std::vector<std::vector<std::string>>& gs) {
    Accepted out;
    for (const auto& g : gs)
        for (const auto& a : g)
            for (const auto& b : g)
                if (a != b) out.insert({a, b});
    return out;
}

TEST(TokenDriftCompare, OneSharedKeyAgrees) {
    EXPECT_TRUE(compare_token_keys({"a", "b", "c"}, {}, groups({{"a", "b", "c"}})).empty());
}

TEST(TokenDriftCompare, TheOddKeyIsReportedAgainstTheMajority) {
    const auto drift = compare_token_keys({"a", "b", "c"}, {}, groups({{"a", "b"}, {"c"}}));
    ASSERT_EQ(drift.size(), 1u);
    EXPECT_TRUE(drift.at("c").decisive);
    EXPECT_EQ(drift.at("c").difference,
              "token key differs: its tokens are refused by a, b; it refuses the tokens of a, b");
}

TEST(TokenDriftCompare, OneWayRefusalIsNamedAsSuch) {
    // c accepts everyone's tokens (no token check of its own), but its tokens are refused.
    Accepted accepted = groups({{"a", "b"}});
    accepted.insert({"a", "c"});
    accepted.insert({"b", "c"});
    const auto drift = compare_token_keys({"a", "b", "c"}, {}, accepted);
    ASSERT_EQ(drift.size(), 1u);
    EXPECT_EQ(drift.at("c").difference, "token key differs: its tokens are refused by a, b");
}

TEST(TokenDriftCompare, ATieIsReportedOnBothSidesButNotDecisive) {
    const auto drift = compare_token_keys({"a", "b"}, {}, {});
    ASSERT_EQ(drift.size(), 2u);
    EXPECT_FALSE(drift.at("a").decisive);
    EXPECT_FALSE(drift.at("b").decisive);
    const auto four = compare_token_keys({"a", "b", "c", "d"}, {}, groups({{"a", "b"}, {"c", "d"}}));
    EXPECT_EQ(four.size(), 4u);
}

TEST(TokenDriftCompare, ASiteWithoutATokenServiceDiffers) {
    const auto drift = compare_token_keys({"a", "b", "c"}, {{"c", "generateToken: Unable to generate token."}},
                                          groups({{"a", "b"}}));
    ASSERT_EQ(drift.size(), 1u);
    EXPECT_EQ(drift.at("c").difference, "token service differs: generateToken: Unable to generate token.");
    EXPECT_TRUE(drift.at("c").decisive);
    // Nobody has a token service: nothing to compare, nothing reported.
    EXPECT_TRUE(compare_token_keys({"a", "b"}, {{"a", "x"}, {"b", "x"}}, {}).empty());
    EXPECT_TRUE(compare_token_keys({"a"}, {}, {}).empty());
}

}  // namespace
}  // namespace gisgate::gis
