// OwnerCapture: a submitJob (or upload) answer's body kept while it is relayed, and its id recorded with its server.
#include "proxy/owner_capture.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/parsed_heads.hpp"

namespace gisgate::proxy {
namespace {

using testing::ParsedResponse;

const std::string kAnswer = R"({"jobId":"j8d5a2c0","jobStatus":"esriJobSubmitted"})";

TEST(OwnerCapture, RecordsTheJobOfACompleteAnswerWithItsServer) {
    gis::JobTable table(config::JobAffinityConfig{});
    ParsedResponse r("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(kAnswer.size()) + "\r\n\r\n",
                     http::Method::post);
    OwnerCapture capture;
    capture.begin(&table, r.head);
    ASSERT_TRUE(capture.active());
    capture.append(kAnswer.data(), 10);
    capture.append(kAnswer.data() + 10, kAnswer.size() - 10);
    EXPECT_EQ(capture.end(true, "site-b"), "j8d5a2c0");
    EXPECT_EQ(table.owner("j8d5a2c0"), std::optional<std::string>("site-b"));
    EXPECT_FALSE(capture.active());
}

TEST(OwnerCapture, DecodesAChunkedAnswer) {
    gis::JobTable table(config::JobAffinityConfig{});
    ParsedResponse r("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", http::Method::post);
    OwnerCapture capture;
    capture.begin(&table, r.head);
    const std::string raw = "10\r\n" + kAnswer.substr(0, 16) + "\r\n" +
                            fmt::format("{:x}", kAnswer.size() - 16) + "\r\n" + kAnswer.substr(16) + "\r\n0\r\n\r\n";
    capture.append(raw.data(), raw.size());
    EXPECT_EQ(capture.end(true, "site-a"), "j8d5a2c0");
}

TEST(OwnerCapture, ACutAnswerOrNoTableRecordsNothing) {
    gis::JobTable table(config::JobAffinityConfig{});
    ParsedResponse r("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(kAnswer.size()) + "\r\n\r\n",
                     http::Method::post);
    OwnerCapture capture;
    capture.begin(&table, r.head);
    capture.append(kAnswer.data(), kAnswer.size());
    EXPECT_EQ(capture.end(false, "site-a"), std::nullopt) << "the server went away: the id may be incomplete";
    EXPECT_EQ(table.owner("j8d5a2c0"), std::nullopt);
    capture.begin(nullptr, r.head);  // not a submitJob answer
    EXPECT_FALSE(capture.active());
    capture.append(kAnswer.data(), kAnswer.size());
    EXPECT_EQ(capture.end(true, "site-a"), std::nullopt);
}

TEST(OwnerCapture, AnAnswerLargerThanTheBoundIsNotAJobSubmission) {
    gis::JobTable table(config::JobAffinityConfig{});
    ParsedResponse r("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", http::Method::post);
    OwnerCapture capture;
    capture.begin(&table, r.head);
    const std::string filler(OwnerCapture::kMaxBody, ' ');
    capture.append(filler.data(), filler.size());
    capture.append(kAnswer.data(), kAnswer.size());  // beyond the bound: dropped
    EXPECT_EQ(capture.end(true, "site-a"), std::nullopt);
}

const std::string kUploadAnswer =
    R"({"success":true,"item":{"itemID":"ib740c7bb-e5d0-4156-9cea-12fa7d3a472c","itemName":"lake.tif",)"
    R"("description":"Lake Tahoe","date":1246060800000,"committed":true}})";

TEST(OwnerCapture, RecordsTheItemOfAnUploadAnswerWithItsServer) {
    gis::JobTable items(config::JobAffinityConfig{});
    ParsedResponse r("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(kUploadAnswer.size()) + "\r\n\r\n",
                     http::Method::post);
    OwnerCapture capture;
    capture.begin(&items, r.head, OwnerCapture::Created::upload_item);
    capture.append(kUploadAnswer.data(), kUploadAnswer.size());
    EXPECT_EQ(capture.end(true, "site-c"), "ib740c7bb-e5d0-4156-9cea-12fa7d3a472c");
    EXPECT_EQ(items.owner("ib740c7bb-e5d0-4156-9cea-12fa7d3a472c"), std::optional<std::string>("site-c"));
    // The same capture reading a submitJob answer as an upload finds no item (and the other way round).
    capture.begin(&items, r.head, OwnerCapture::Created::upload_item);
    capture.append(kAnswer.data(), kAnswer.size());
    EXPECT_EQ(capture.end(true, "site-c"), std::nullopt);
    capture.begin(&items, r.head, OwnerCapture::Created::job);
    capture.append(kUploadAnswer.data(), kUploadAnswer.size());
    EXPECT_EQ(capture.end(true, "site-c"), std::nullopt);
    EXPECT_EQ(items.size(), 1u);
}

}  // namespace
}  // namespace gisgate::proxy
