// Upload affinity's reading of requests: the item a path names (classify), the items a query string or a form
// body names (upload_ids_in_form: parameters, percent-encoding, JSON inside a field, the 64 KB bound), and the
// item id of an upload answer.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gis/classify.hpp"
#include "gis/job_table.hpp"
#include "gis/upload_ids.hpp"

namespace gisgate::gis {
namespace {

constexpr const char* kItem = "ib740c7bb-e5d0-4156-9cea-12fa7d3a472c";
constexpr const char* kOther = "i912f0648-a455-4d08-ae95-44eb5b82de2e";

std::vector<std::string> ids_in(std::string_view text, bool cut = false) {
    std::vector<std::string> out;
    upload_ids_in_form(text, cut, out);
    return out;
}

using Ids = std::vector<std::string>;

TEST(UploadIds, PathNamesTheItemOfAnyServiceTypeAndUploadOperationsCreateOne) {
    // Classification holds views into the path: each path outlives its classification.
    const std::string gp_path = std::string("/arcgis/rest/services/Tools/Buffer/GPServer/uploads/") + kItem;
    const Classification gp = classify(gp_path);
    EXPECT_EQ(gp.upload_id, kItem);
    EXPECT_EQ(gp.operation, "uploads");
    EXPECT_FALSE(gp.upload_item);
    const std::string map_path =
        std::string("/arcgis/rest/services/Maps/Streets/MapServer/uploads/") + kItem + "/uploadPart";
    const Classification map = classify(map_path);
    EXPECT_EQ(map.upload_id, kItem);
    EXPECT_EQ(map.type, "MapServer");
    for (const char* op : {"upload", "register", "Upload"}) {
        const std::string path = std::string("/arcgis/rest/services/Buffer/GPServer/uploads/") + op;
        const Classification c = classify(path);
        EXPECT_TRUE(c.upload_item) << op;
        EXPECT_TRUE(c.upload_id.empty()) << op;
    }
    EXPECT_TRUE(classify("/arcgis/rest/services/Buffer/GPServer/uploads/info").upload_id.empty());
    EXPECT_TRUE(classify("/arcgis/rest/services/Buffer/GPServer/uploads").upload_id.empty());
    EXPECT_FALSE(classify("/arcgis/rest/services/Buffer/GPServer/Task/execute").upload_item);
    EXPECT_TRUE(classify("/arcgis/rest/services/Buffer/GPServer/Task/execute").upload_id.empty());
}

TEST(UploadIds, ANamedParameterAndJsonInsideAFieldPercentEncodedOrNot) {
    EXPECT_EQ(ids_in(std::string("f=json&itemID=") + kItem), Ids{kItem});
    EXPECT_EQ(ids_in(std::string("ITEMID=") + kItem + "&f=json"), Ids{kItem}) << "names are case-insensitive";
    // A GP input: {"itemID":"..."} percent-encoded, as browsers and the JS API send it.
    EXPECT_EQ(ids_in(std::string("Input_File=%7B%22itemID%22%3A%22") + kItem + "%22%7D&f=json"), Ids{kItem});
    EXPECT_EQ(ids_in(std::string("Input_File=%7b%22itemid%22%3a%22") + kItem + "%22%7d"), Ids{kItem})
        << "lower-case hex and member name";
    // Unencoded JSON, with spaces ('+' in a form), single quotes and unquoted names, nested in a list.
    EXPECT_EQ(ids_in(std::string("In={\"itemID\":\"") + kItem + "\"}"), Ids{kItem});
    EXPECT_EQ(ids_in(std::string("In=%7B+%22itemID%22+%3A+%22") + kItem + "%22+%7D"), Ids{kItem});
    EXPECT_EQ(ids_in(std::string("In={itemID:'") + kItem + "'}"), Ids{kItem});
    EXPECT_EQ(ids_in(std::string("In=[{\"itemID\":\"") + kItem + "\"},{\"itemID\":\"" + kOther + "\"}]"),
              (Ids{kItem, kOther}));
    // Both places, duplicates once.
    EXPECT_EQ(ids_in(std::string("a={\"itemID\":\"") + kItem + "\"}&itemID=" + kItem), Ids{kItem});
}

TEST(UploadIds, OtherMembersBadIdsAndPlainRequestsNameNothing) {
    EXPECT_TRUE(ids_in("f=json&where=1%3D1&outFields=*").empty());
    EXPECT_TRUE(ids_in("").empty());
    EXPECT_TRUE(ids_in(std::string("In={\"myitemID\":\"") + kItem + "\"}").empty()) << "another member";
    EXPECT_TRUE(ids_in(std::string("In={\"itemIDs\":\"") + kItem + "\"}").empty()) << "another member";
    EXPECT_TRUE(ids_in("In={\"itemID\":12}").empty()) << "not a string";
    EXPECT_TRUE(ids_in("itemID=../../etc/passwd").empty()) << "not an id: never put into a probe URL";
    EXPECT_TRUE(ids_in("itemID=a%20b").empty());
    EXPECT_TRUE(ids_in("itemID=" + std::string(129, 'a')).empty());
    EXPECT_EQ(ids_in("itemID=" + std::string(128, 'a')), Ids{std::string(128, 'a')});
    EXPECT_TRUE(ids_in("itemID=").empty());
    EXPECT_TRUE(ids_in("In={\"itemID\":\"unterminated").empty());
    EXPECT_TRUE(ids_in("In=%ZZ%7B%22itemID%22").empty()) << "a bad escape is kept as it is, not a crash";
}

TEST(UploadIds, AtMostEightIdsPerRequest) {
    std::string form;
    for (int i = 0; i < 20; ++i) form += "itemID=i" + std::to_string(i) + "&";
    EXPECT_EQ(ids_in(form).size(), kMaxUploadIdsPerRequest);
}

TEST(UploadIds, TheFormIsReadForItsFirst64KbAndACutParameterIsSkipped) {
    const std::string filler = "Web_Map_as_JSON=" + std::string(kUploadFormScanBytes - 100, 'x');
    const std::string item = std::string("&Layout_Template=%7B%22itemID%22%3A%22") + kItem + "%22%7D";
    // Within the bound.
    EXPECT_EQ(ids_in(filler + item), Ids{kItem});
    // Starting within the bound but ending beyond it: the id would be cut, so it is not read.
    const std::string late = "Web_Map_as_JSON=" + std::string(kUploadFormScanBytes - 40, 'x') + item;
    EXPECT_TRUE(ids_in(late).empty());
    // Beyond the bound.
    EXPECT_TRUE(ids_in("Web_Map_as_JSON=" + std::string(kUploadFormScanBytes, 'x') + item).empty());
    // What was read of a body that goes on: its last parameter may be incomplete, the ones before are whole.
    const std::string whole = std::string("itemID=") + kItem + "&Format=PNG32&itemID=" + kOther;
    EXPECT_EQ(ids_in(whole, true), Ids{kItem});
    EXPECT_EQ(ids_in(whole, false), (Ids{kItem, kOther}));
    EXPECT_TRUE(ids_in(std::string("itemID=") + kItem, true).empty()) << "a single cut parameter";
}

TEST(UploadIds, TheItemOfAnUploadAnswer) {
    const std::string answer = std::string(R"({"success":true,"item":{"itemID":")") + kItem +
                               R"(","itemName":"lake.tif","description":"Lake Tahoe","date":1246060800000,)"
                               R"("committed":true}})";
    EXPECT_EQ(item_id_from_upload_response(answer, ""), kItem);
    EXPECT_EQ(item_id_from_upload_response(R"({"success":false,"item":{"itemID":"i1"}})", ""), std::nullopt);
    EXPECT_EQ(item_id_from_upload_response(R"({"item":{"itemID":"i1"}})", ""), std::nullopt) << "no success";
    EXPECT_EQ(item_id_from_upload_response(R"({"success":true,"item":{"itemID":"a/b"}})", ""), std::nullopt);
    EXPECT_EQ(item_id_from_upload_response(R"({"error":{"code":400,"message":"Unable to upload item."}})", ""),
              std::nullopt);
    EXPECT_EQ(item_id_from_upload_response(R"({"success":true,"item":"i1"})", ""), std::nullopt);
    EXPECT_EQ(item_id_from_upload_response("<html></html>", ""), std::nullopt);
}

}  // namespace
}  // namespace gisgate::gis
