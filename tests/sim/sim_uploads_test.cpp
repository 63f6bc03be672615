// Uploads: uploads/upload (multipart), uploads/<itemID>, GP inputs naming an item, and items being site-local.
#include "sim_fixture.hpp"
#include "support/multipart.hpp"

namespace gisgate::sim::testing {
namespace {

using gisgate::test::upload_body;
using gisgate::test::upload_content_type;

const std::string kPrintGp = "/arcgis/rest/services/Utilities/PrintingTools/GPServer";
const std::string kBufferGp = "/arcgis/rest/services/Analysis/Buffer/GPServer";

HttpResponse upload(int port, const std::string& service, const std::string& body,
                    const std::string& type = upload_content_type()) {
    HttpClient c(port);
    return c.request("POST", service + "/uploads/upload", {{"Content-Type", type}}, body);
}

TEST_F(SimTest, UploadAnswersLikeArcGisAndTheItemCanBeRead) {
    const std::string content(100000, 'x');  // binary-safe size, more than one TCP segment
    HttpResponse r = upload(port(), kPrintGp, upload_body("lake.tif", content, "Lake Tahoe"));
    ASSERT_EQ(r.status, 200);
    json j = parse_json(r);
    EXPECT_EQ(j["success"], true);
    const json item = j["item"];
    const std::string id = item["itemID"];
    // "i" + a UUID, as ArcGIS names its items.
    ASSERT_EQ(id.size(), 37u);
    EXPECT_EQ(id[0], 'i');
    EXPECT_EQ(id[9], '-');
    EXPECT_EQ(item["itemName"], "lake.tif");
    EXPECT_EQ(item["description"], "Lake Tahoe");
    EXPECT_EQ(item["committed"], true);
    EXPECT_TRUE(item["date"].is_number_integer());

    json info = get_json(kPrintGp + "/uploads/" + id + "?f=json");
    EXPECT_EQ(info, item) << "the item resource shows what the upload answered";
    EXPECT_EQ(stats(port())["uploads"], 1);
    // Every service has the Uploads capability.
    const std::string streets = "/arcgis/rest/services/Maps/Streets/MapServer";
    EXPECT_EQ(parse_json(upload(port(), streets, upload_body("a.csv", "x,y")))["success"], true);
}

TEST_F(SimTest, UnknownItemsAndBadUploadsAreArcGisErrors) {
    json unknown = get_json(kPrintGp + "/uploads/i00000000-0000-4000-8000-000000000000?f=json");
    EXPECT_EQ(unknown["error"]["code"], 400);
    EXPECT_NE(unknown.dump().find("does not exist"), std::string::npos);
    EXPECT_FALSE(unknown.dump().find("\"committed\"") != std::string::npos) << "a probe must not mistake it";

    json not_multipart = parse_json(upload(port(), kPrintGp, "file=abc", "application/x-www-form-urlencoded"));
    EXPECT_EQ(not_multipart["error"]["code"], 400);
    json no_file = parse_json(upload(port(), kPrintGp,
                                     "--" + std::string(gisgate::test::kUploadBoundary) +
                                         "\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\njson\r\n--" +
                                         gisgate::test::kUploadBoundary + "--\r\n"));
    EXPECT_EQ(no_file["error"]["code"], 400);
    json cut = parse_json(upload(port(), kPrintGp, upload_body("a.tif", "abc").substr(0, 60)));
    EXPECT_EQ(cut["error"]["code"], 400);
    EXPECT_EQ(parse_json(http_get(port(), kPrintGp + "/uploads/upload?f=json"))["error"]["code"], 400)
        << "upload is POST only";
    EXPECT_EQ(stats(port())["uploads"], 0);
}

TEST_F(SimTest, GpInputsNamingAnItemNeedItOnThisSite) {
    const std::string id =
        parse_json(upload(port(), kPrintGp, upload_body("template.pagx", "<layout/>")))["item"]["itemID"];
    const std::string known = "%7B%22itemID%22%3A%22" + id + "%22%7D";
    HttpResponse ok = post_form(port(), kPrintGp + "/ExportWebMap/execute",
                                "Web_Map_as_JSON=%7B%7D&Layout_Template=" + known + "&f=json");
    EXPECT_TRUE(parse_json(ok).contains("results")) << ok.body;
    // In the query string, and as a submitJob input of another GP service of the site.
    EXPECT_TRUE(get_json(kPrintGp + "/ExportWebMap/execute?Layout_Template=" + known + "&f=json").contains("results"));
    EXPECT_TRUE(parse_json(post_form(port(), kBufferGp + "/BufferPoints/submitJob",
                                     "Input_Features=" + known + "&f=json"))
                    .contains("jobId"));

    const std::string other = "%7B%22itemID%22%3A%22i00000000-0000-4000-8000-000000000000%22%7D";
    json refused = parse_json(
        post_form(port(), kPrintGp + "/ExportWebMap/execute", "Web_Map_as_JSON=%7B%7D&Layout_Template=" + other));
    EXPECT_EQ(refused["error"]["code"], 400);
    EXPECT_NE(refused.dump().find("i00000000-0000-4000-8000-000000000000"), std::string::npos);
    json refused_job = parse_json(post_form(port(), kBufferGp + "/BufferPoints/submitJob",
                                            "Input_Features=%5B" + other + "%5D&f=json"));
    EXPECT_EQ(refused_job["error"]["code"], 400) << "an item in a list is checked too";
}

TEST(SimUploads, ItemsAreSiteLocal) {
    SimServer a(local_options("site-a")), b(local_options("site-b"));
    const std::string id = parse_json(upload(a.port(), kPrintGp, upload_body("x.tif", "1")))["item"]["itemID"];
    EXPECT_EQ(parse_json(http_get(a.port(), kPrintGp + "/uploads/" + id + "?f=json"))["itemID"], id);
    EXPECT_EQ(parse_json(http_get(b.port(), kPrintGp + "/uploads/" + id + "?f=json"))["error"]["code"], 400);
}

}  // namespace
}  // namespace gisgate::sim::testing
