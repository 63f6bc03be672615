// Upload affinity against real sims: items uploaded through gisgate (round robin over three sites) are then used
// by path (item info), in a GP execute's form body and in its query string, and every use reaches the site that
// stored the item (the sims refuse items they do not have); after a gisgate restart (an empty table) the items
// are found by probing the sites; a form body whose item comes after more than one read is still routed.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>


#include "integration/proxy_fixture.hpp"
#include "support/multipart.hpp"

namespace gisgate::test {
namespace {

using nlohmann::json;

constexpr const char* kPrint = "/arcgis/rest/services/Utilities/PrintingTools/GPServer";

// Uploads a small file through gisgate on a connection of its own; the item id, or "" on failure.
std::string upload_item(int port, int n) {
    HttpClient c(port);
    const auto r = c.request("POST", std::string(kPrint) + "/uploads/upload",
                             {{"Content-Type", upload_content_type()}},
                             upload_body("layout" + std::to_string(n) + ".pagx", std::string(2000 + n, 'L')));
    const auto body = json::parse(r.body, nullptr, false);
    if (r.status != 200 || !body.is_object() || body.value("success", false) != true) return "";
    return body["item"].value("itemID", "");
}

std::string encoded_item(const std::string& id) { return "%7B%22itemID%22%3A%22" + id + "%22%7D"; }

// The three ways a client names the item; true when all three reached a site that has it.
::testing::AssertionResult use_item(int port, const std::string& id) {
    HttpClient c(port);
    const auto info = c.request("GET", std::string(kPrint) + "/uploads/" + id + "?f=json");
    const auto info_json = json::parse(info.body, nullptr, false);
    if (info.status != 200 || !info_json.is_object() || info_json.value("itemID", "") != id)
        return ::testing::AssertionFailure() << "item info of " << id << ": " << info.status << " " << info.body;
    const auto form = c.request("POST", std::string(kPrint) + "/ExportWebMap/execute",
                                {{"Content-Type", "application/x-www-form-urlencoded"}},
                                "Web_Map_as_JSON=%7B%7D&Format=PNG32&Layout_Template=" + encoded_item(id) + "&f=json");
    if (form.status != 200 || !json::parse(form.body, nullptr, false).contains("results"))
        return ::testing::AssertionFailure() << "execute with " << id << " in the form: " << form.body;
    const auto query = c.request("GET", std::string(kPrint) + "/ExportWebMap/execute?Web_Map_as_JSON=%7B%7D&"
                                         "Layout_Template=" + encoded_item(id) + "&f=json");
    if (query.status != 200 || !json::parse(query.body, nullptr, false).contains("results"))
        return ::testing::AssertionFailure() << "execute with " << id << " in the query: " << query.body;
    return ::testing::AssertionSuccess();
}

TEST(UploadAffinity, FiftyUploadsOnThreeSitesAreEachUsedOnTheirSite) {
    Sim a = start_sim("a"), b = start_sim("b"), c = start_sim("c");
    Proxy proxy = start_proxy(basic_config({&a, &b, &c}, "", "", kAdmin));
    ASSERT_NE(proxy.port, 0);
    const int admin = proxy.process->wait_for_port("admin");
    ASSERT_NE(admin, 0);
    std::vector<std::string> items;
    for (int i = 0; i < 50; ++i) items.push_back(upload_item(proxy.port, i));
    for (const auto& id : items) ASSERT_FALSE(id.empty());
    // Round robin spread the uploads: without affinity two uses in three would reach a site without the item.
    for (const Sim* s : {&a, &b, &c})
        EXPECT_GT(json::parse(http_get(s->port, "/sim/stats").body)["uploads"].get<int>(), 10) << s->name;
    const auto status = json::parse(http_get(admin, "/api/v1/status").body);
    EXPECT_EQ(status["pools"][0]["upload_table_size"], 50);
    EXPECT_NE(http_get(admin, "/metrics").body.find("gisgate_upload_affinity_table_size{pool=\"gis\"} 50"),
              std::string::npos);
    int used = 0;
    for (const auto& id : items) used += use_item(proxy.port, id) ? 1 : 0;
    EXPECT_EQ(used, 50);
    for (const auto& id : items) EXPECT_TRUE(use_item(proxy.port, id));  // a second round, all from the table
}

// The control: without upload affinity the same uses reach sites that lack the item, and the sims say so.
TEST(UploadAffinity, WithoutItUsesReachSitesThatLackTheItem) {
    Sim a = start_sim("a"), b = start_sim("b"), c = start_sim("c");
    Proxy proxy = start_proxy(basic_config({&a, &b, &c}, "    upload_affinity: false\n"));
    ASSERT_NE(proxy.port, 0);
    int used = 0;
    for (int i = 0; i < 12; ++i) {
        const std::string id = upload_item(proxy.port, i);
        ASSERT_FALSE(id.empty());
        used += use_item(proxy.port, id) ? 1 : 0;
    }
    // Round robin sends an item's three uses to three different sites: at most one has it.
    EXPECT_EQ(used, 0);
}

TEST(UploadAffinity, AfterARestartItemsAreFoundByProbingTheSites) {
    Sim a = start_sim("a"), b = start_sim("b"), c = start_sim("c");
    const std::string yaml = basic_config({&a, &b, &c}, "", "", kAdmin);
    std::vector<std::string> items;
    {
        Proxy first = start_proxy(yaml);
        ASSERT_NE(first.port, 0);
        for (int i = 0; i < 15; ++i) items.push_back(upload_item(first.port, i));
        first.process->signal(SIGTERM);
        ASSERT_EQ(first.process->wait_exit(), 0);
    }
    Proxy second = start_proxy(yaml);  // an empty upload table: each item's first use goes through the probe
    ASSERT_NE(second.port, 0);
    const int admin = second.process->wait_for_port("admin");
    ASSERT_NE(admin, 0);
    // The first use of half the items names them in a form body, of the others in the path.
    for (std::size_t i = 0; i < items.size(); ++i) {
        ASSERT_FALSE(items[i].empty());
        HttpClient c(second.port);
        const auto r = i % 2 ? c.request("GET", std::string(kPrint) + "/uploads/" + items[i] + "?f=json")
                             : c.request("POST", std::string(kPrint) + "/ExportWebMap/execute",
                                         {{"Content-Type", "application/x-www-form-urlencoded"}},
                                         "Web_Map_as_JSON=%7B%7D&Layout_Template=" + encoded_item(items[i]));
        const auto body = json::parse(r.body, nullptr, false);
        EXPECT_TRUE(r.status == 200 && body.is_object() && !body.contains("error")) << items[i] << ": " << r.body;
    }
    const auto status = json::parse(http_get(admin, "/api/v1/status").body);
    EXPECT_EQ(status["pools"][0]["upload_table_size"], 15) << "every probe's answer was recorded";
    for (const auto& id : items) EXPECT_TRUE(use_item(second.port, id));
    // An item no site has: the request still goes to a site, whose own ArcGIS error the client gets.
    const auto unknown =
        http_get(second.port, std::string(kPrint) + "/uploads/i00000000-0000-4000-8000-000000000000?f=json");
    EXPECT_EQ(unknown.status, 200);
    EXPECT_NE(unknown.body.find("does not exist"), std::string::npos) << unknown.body;
}

TEST(UploadAffinity, AnItemDeepInALargeOrChunkedFormBodyIsRouted) {
    Sim a = start_sim("a"), b = start_sim("b"), c = start_sim("c");
    Proxy proxy = start_proxy(basic_config({&a, &b, &c}));
    ASSERT_NE(proxy.port, 0);
    std::vector<std::string> items;
    for (int i = 0; i < 6; ++i) items.push_back(upload_item(proxy.port, i));
    const std::string filler = "Web_Map_as_JSON=%7B%22x%22%3A%22" + std::string(50000, 'w') + "%22%7D";
    for (const auto& id : items) {
        ASSERT_FALSE(id.empty());
        const std::string form = filler + "&Layout_Template=" + encoded_item(id) + "&f=json";
        // The head and the first bytes, then the rest: gisgate reads ahead before it picks the site.
        const std::string head = std::string("POST ") + kPrint + "/ExportWebMap/execute HTTP/1.1\r\nHost: x\r\n" +
                                 "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
                                 std::to_string(form.size()) + "\r\n\r\n";
        HttpClient c(proxy.port);
        c.send_raw(head + form.substr(0, 1000));
        c.send_raw(form.substr(1000));
        const auto r = c.read_response();
        EXPECT_TRUE(r.status == 200 && json::parse(r.body, nullptr, false).contains("results")) << id << ": " << r.body;
        // Chunked, with Expect: 100-continue (gisgate answers 100 before it reads the body ahead).
        const std::string chunked_head = std::string("POST ") + kPrint +
                                         "/ExportWebMap/execute HTTP/1.1\r\nHost: x\r\n" +
                                         "Content-Type: application/x-www-form-urlencoded\r\nExpect: 100-continue\r\n" +
                                         "Transfer-Encoding: chunked\r\n\r\n";
        c.send_raw(chunked_head);
        const auto interim = c.read_response();
        EXPECT_EQ(interim.status, 100);
        char size[32];
        std::snprintf(size, sizeof size, "%zx\r\n", form.size() - 20000);
        c.send_raw(size + form.substr(0, form.size() - 20000) + "\r\n");
        std::snprintf(size, sizeof size, "%x\r\n", 20000);
        c.send_raw(size + form.substr(form.size() - 20000) + "\r\n0\r\n\r\n");
        const auto chunked = c.read_response();
        EXPECT_TRUE(chunked.status == 200 && json::parse(chunked.body, nullptr, false).contains("results"))
            << id << " (chunked): " << chunked.body;
    }
}

TEST(UploadAffinity, OwnerDownAnswers503NamingTheItem) {
    Sim a = start_sim("a"), b = start_sim("b");
    const std::string quick_health = "    health: { interval: 200ms, timeout: 300ms, fall: 2, rise: 2 }\n";
    Proxy proxy = start_proxy(basic_config({&a, &b}, quick_health, "", kAdmin));
    const int admin = proxy.process->wait_for_port("admin");
    ASSERT_NE(admin, 0);
    std::string id, owner;
    {
        HttpClient c(proxy.port);
        const auto r = c.request("POST", std::string(kPrint) + "/uploads/upload",
                                 {{"Content-Type", upload_content_type()}}, upload_body("a.pagx", "x"));
        id = json::parse(r.body)["item"]["itemID"];
        owner = r.header("X-Gisgate-Sim-Site");
    }
    ASSERT_FALSE(owner.empty());
    Sim& owning = owner == "a" ? a : b;
    owning.process->signal(SIGKILL);
    ASSERT_TRUE(owning.process->wait_exit().has_value());
    ASSERT_TRUE(eventually([&] { return server_state(admin, "gis", owner) == "down"; }));
    HttpClient client(proxy.port);
    const auto r = client.request("POST", std::string(kPrint) + "/ExportWebMap/execute",
                                  {{"Content-Type", "application/x-www-form-urlencoded"}},
                                  "Web_Map_as_JSON=%7B%7D&Layout_Template=" + encoded_item(id) + "&f=json");
    EXPECT_EQ(r.status, 503);
    EXPECT_NE(r.body.find("upload item " + id), std::string::npos) << r.body;
    EXPECT_TRUE(r.header("X-Gisgate-Sim-Site").empty()) << "never sent to a site that cannot have the item";
}

}  // namespace
}  // namespace gisgate::test
