// FeatureServer editing: addFeatures, updateFeatures, deleteFeatures, applyEdits (layer and service), and
// queries that see the edits.
#include <fmt/format.h>

#include <cctype>

#include "sim_fixture.hpp"

namespace gisgate::sim::testing {
namespace {

const std::string kLayer = "/arcgis/rest/services/Maps/Parcels/FeatureServer/0";

std::string encode(const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.')
            out.push_back(static_cast<char>(c));
        else
            out += fmt::format("%{:02X}", c);
    }
    return out;
}

TEST_F(SimTest, AddFeaturesThenQueryThemBack) {
    const json features = json::array({{{"attributes", {{"NAME", "New Town"}, {"POPULATION", 1234}}},
                                        {"geometry", {{"x", 10.5}, {"y", 20.25}}}},
                                       {{"attributes", {{"NAME", "Other"}}}}});
    json r = parse_json(post_form(port(), kLayer + "/addFeatures", "f=json&features=" + encode(features.dump())));
    ASSERT_EQ(r["addResults"].size(), 2u) << r;
    EXPECT_EQ(r["addResults"][0], json({{"objectId", 10001}, {"globalId", nullptr}, {"success", true}}));
    EXPECT_EQ(r["addResults"][1]["objectId"], 10002);

    json q = get_json(kLayer + "/query?objectIds=10001,10002&outFields=*&f=json");
    ASSERT_EQ(q["features"].size(), 2u);
    EXPECT_EQ(q["features"][0]["attributes"]["NAME"], "New Town");
    EXPECT_EQ(q["features"][0]["attributes"]["POPULATION"], 1234);
    EXPECT_EQ(q["features"][0]["geometry"], json({{"x", 10.5}, {"y", 20.25}}));
    EXPECT_FALSE(q["features"][1].contains("geometry"));  // added without one
    EXPECT_EQ(get_json(kLayer + "/query?returnCountOnly=true&f=json")["count"], 10002);
    // The last page ends with them.
    json last = get_json(kLayer + "/query?resultOffset=10000&returnIdsOnly=true&f=json");
    EXPECT_EQ(last["objectIds"], json({10001, 10002}));
}

TEST_F(SimTest, ApplyEditsUpdatesAndDeletes) {
    const json updates = json::array({{{"attributes", {{"OBJECTID", 5}, {"NAME", "Renamed"}}}},
                                      {{"attributes", {{"OBJECTID", 99999}, {"NAME", "nobody"}}}}});
    json r = parse_json(post_form(port(), kLayer + "/applyEdits",
                                  "f=json&updates=" + encode(updates.dump()) + "&deletes=7,8"));
    ASSERT_EQ(r["updateResults"].size(), 2u) << r;
    EXPECT_EQ(r["updateResults"][0]["success"], true);
    EXPECT_EQ(r["updateResults"][1]["success"], false);
    EXPECT_EQ(r["updateResults"][1]["error"]["code"], 1019);
    EXPECT_EQ(r["deleteResults"], json::parse(R"([{"objectId":7,"globalId":null,"success":true},
                                                  {"objectId":8,"globalId":null,"success":true}])"));
    EXPECT_EQ(r["addResults"], json::array());

    json q = get_json(kLayer + "/query?objectIds=5,6,7&outFields=NAME,POPULATION&f=json");
    ASSERT_EQ(q["features"].size(), 2u);  // 7 is gone
    EXPECT_EQ(q["features"][0]["attributes"]["NAME"], "Renamed");
    // Fields the update did not name keep their generated values.
    EXPECT_EQ(q["features"][0]["attributes"]["POPULATION"],
              get_json(kLayer + "/query?objectIds=5&outFields=POPULATION&f=json")["features"][0]["attributes"]["POPULATION"]);
    EXPECT_EQ(get_json(kLayer + "/query?returnCountOnly=true&f=json")["count"], 9998);
    // Deleting again: the feature is missing.
    json again = parse_json(post_form(port(), kLayer + "/deleteFeatures", "f=json&objectIds=7"));
    EXPECT_EQ(again["deleteResults"][0]["error"]["code"], 1019);
}

TEST_F(SimTest, ServiceApplyEditsAnswersPerLayer) {
    const json edits = json::array({{{"id", 0}, {"adds", json::array({{{"attributes", {{"NAME", "A"}}}}})},
                                     {"deletes", json::array({1})}}});
    HttpResponse raw = post_form(port(), "/arcgis/rest/services/Maps/Parcels/FeatureServer/applyEdits",
                                 "f=json&edits=" + encode(edits.dump()));
    json r = parse_json(raw);
    ASSERT_TRUE(r.is_array()) << raw.body;
    EXPECT_EQ(r[0]["id"], 0);
    EXPECT_EQ(r[0]["addResults"][0]["objectId"], 10001);
    EXPECT_EQ(r[0]["deleteResults"][0]["objectId"], 1);
    // A layer that does not exist: nothing is applied.
    json bad = parse_json(post_form(port(), "/arcgis/rest/services/Maps/Parcels/FeatureServer/applyEdits",
                                    "f=json&edits=" + encode(R"([{"id":0,"deletes":[2]},{"id":9}])")));
    EXPECT_EQ(bad["error"]["code"], 400);
    EXPECT_EQ(get_json(kLayer + "/query?objectIds=2&returnCountOnly=true&f=json")["count"], 1);
}

TEST_F(SimTest, EditsRefuseBadInputClearly) {
    json get = get_json(kLayer + "/addFeatures?features=[]&f=json");
    EXPECT_EQ(get["error"]["details"][0], "addFeatures is supported with POST only.");
    json not_json = parse_json(post_form(port(), kLayer + "/addFeatures", "f=json&features=nope"));
    EXPECT_EQ(not_json["error"]["details"][0], "'features' must be a JSON array of features.");
    json bad_ids = parse_json(post_form(port(), kLayer + "/deleteFeatures", "f=json&objectIds=1,x"));
    EXPECT_NE(bad_ids["error"]["details"][0].get<std::string>().find("objectIds"), std::string::npos);
    json no_oid = parse_json(post_form(port(), kLayer + "/updateFeatures",
                                       "f=json&features=" + encode(R"([{"attributes":{"NAME":"x"}}])")));
    EXPECT_EQ(no_oid["updateResults"][0]["success"], false);
    // MapServer layers are read-only.
    EXPECT_EQ(post_form(port(), "/arcgis/rest/services/SampleWorldCities/MapServer/0/addFeatures", "features=[]").status,
              404);
    // The FeatureServer says it can edit.
    EXPECT_NE(get_json("/arcgis/rest/services/Maps/Parcels/FeatureServer?f=json")["capabilities"].get<std::string>().find(
                  "Create"),
              std::string::npos);
}

}  // namespace
}  // namespace gisgate::sim::testing
