// JobTable (record/owner, refresh, age and size bounds, threads) and reading the jobId of submitJob answers in
// every Content-Encoding a server may use.
#include <gtest/gtest.h>
#include <zlib.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gis/job_table.hpp"

namespace gisgate::gis {
namespace {

using namespace std::chrono_literals;

config::JobAffinityConfig limits(std::uint32_t max_jobs, config::Duration max_age = 24h) {
    config::JobAffinityConfig c;
    c.max_jobs = max_jobs;
    c.max_age = max_age;
    return c;
}

// A clock the test moves by hand.
struct FakeClock {
    std::shared_ptr<std::chrono::steady_clock::time_point> now =
        std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::time_point{} + 1h);
    void advance(std::chrono::steady_clock::duration d) { *now += d; }
    JobTable::Clock clock() const {
        return [now = now] { return *now; };
    }
};

std::string job(int i) { return "j" + std::to_string(i); }

TEST(JobTable, RecordsAndAnswersOwner) {
    JobTable table(limits(100));
    EXPECT_EQ(table.owner("j1"), std::nullopt);
    table.record("j1", "s1");
    table.record("j2", "s2");
    EXPECT_EQ(table.owner("j1"), "s1");
    EXPECT_EQ(table.owner("j2"), "s2");
    EXPECT_EQ(table.owner("j3"), std::nullopt);
    EXPECT_EQ(table.size(), 2u);
}

TEST(JobTable, RecordingAgainReplacesTheServer) {
    JobTable table(limits(100));
    table.record("j1", "s1");
    table.record("j1", "s2");
    EXPECT_EQ(table.owner("j1"), "s2");
    EXPECT_EQ(table.size(), 1u);
}

TEST(JobTable, EmptyJobIdIsIgnored) {
    JobTable table(limits(100));
    table.record("", "s1");
    EXPECT_EQ(table.size(), 0u);
    EXPECT_EQ(table.owner(""), std::nullopt);
}

TEST(JobTable, EntriesOlderThanMaxAgeAreForgotten) {
    FakeClock clock;
    JobTable table(limits(100, 10min));
    table.set_clock_for_tests(clock.clock());
    table.record("j1", "s1");
    clock.advance(10min);
    EXPECT_EQ(table.owner("j1"), "s1");  // exactly max_age old: still known
    clock.advance(1ms);
    EXPECT_EQ(table.owner("j1"), std::nullopt);
    EXPECT_EQ(table.size(), 0u);  // dropped on the failed lookup
}

TEST(JobTable, RecordRefreshesAge) {
    FakeClock clock;
    JobTable table(limits(100, 10min));
    table.set_clock_for_tests(clock.clock());
    table.record("j1", "s1");
    clock.advance(8min);
    table.record("j1", "s1");
    clock.advance(8min);
    EXPECT_EQ(table.owner("j1"), "s1");
}

TEST(JobTable, ExpiredEntriesAreSweptByLaterRecords) {
    FakeClock clock;
    JobTable table(limits(1000, 1min));
    table.set_clock_for_tests(clock.clock());
    for (int i = 0; i < 200; ++i) table.record(job(i), "s1");
    clock.advance(2min);
    // One new job per shard is very likely among 200; each sweeps its shard's expired entries.
    for (int i = 200; i < 400; ++i) table.record(job(i), "s2");
    EXPECT_EQ(table.size(), 200u);
    EXPECT_EQ(table.owner(job(0)), std::nullopt);
    EXPECT_EQ(table.owner(job(399)), "s2");
}

TEST(JobTable, SizeStaysBoundedAndTheOldestGoFirst) {
    JobTable table(limits(160));  // 10 per shard
    table.record("first", "s0");
    for (int i = 0; i < 2000; ++i) table.record(job(i), "s1");
    EXPECT_LE(table.size(), 160u);
    EXPECT_GE(table.size(), 150u);
    EXPECT_EQ(table.owner("first"), std::nullopt);
    EXPECT_EQ(table.owner(job(1999)), "s1");
}

TEST(JobTable, RefreshedJobsSurviveEviction) {
    JobTable table(limits(160));
    table.record("keep", "s0");
    for (int i = 0; i < 2000; ++i) {
        table.record(job(i), "s1");
        if (i % 5 == 0) table.record("keep", "s0");  // a client polling its job's status
    }
    EXPECT_EQ(table.owner("keep"), "s0");
}

TEST(JobTable, BoundIsAtMostMaxJobsPlusShardRounding) {
    JobTable table(limits(1));
    for (int i = 0; i < 100; ++i) table.record(job(i), "s");
    EXPECT_LE(table.size(), 16u);
    EXPECT_EQ(table.owner(job(99)), "s");
}

TEST(JobTable, SetLimitsShrinksAndAges) {
    FakeClock clock;
    JobTable table(limits(1600, 1h));
    table.set_clock_for_tests(clock.clock());
    for (int i = 0; i < 1000; ++i) table.record(job(i), "s");
    EXPECT_EQ(table.size(), 1000u);
    table.set_limits(limits(160, 1h));
    EXPECT_LE(table.size(), 160u);
    clock.advance(2h);
    table.set_limits(limits(160, 3h));
    EXPECT_EQ(table.owner(job(999)), "s");  // the longer max_age applies to entries already held
    table.set_limits(limits(160, 1h));
    EXPECT_EQ(table.size(), 0u);
}

TEST(JobTable, DisabledTableKeepsNothing) {
    JobTable table(limits(100));
    table.record("j1", "s1");
    auto off = limits(100);
    off.enabled = false;
    table.set_limits(off);
    EXPECT_EQ(table.size(), 0u);
    table.record("j2", "s2");
    EXPECT_EQ(table.owner("j2"), std::nullopt);
    table.set_limits(limits(100));
    table.record("j3", "s3");
    EXPECT_EQ(table.owner("j3"), "s3");
}

TEST(JobTable, ConcurrentRecordAndOwner) {
    JobTable table(limits(100000));
    constexpr int kThreads = 4;
    constexpr int kPerThread = 5000;
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            const std::string server = "s" + std::to_string(t);
            for (int i = 0; i < kPerThread; ++i) {
                const std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
                table.record(id, server);
                if (table.owner(id) != server) ++wrong;
                if (i % 100 == 0) (void)table.size();
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_EQ(table.size(), static_cast<std::size_t>(kThreads * kPerThread));
}

TEST(JobTable, ConcurrentChurnStaysBounded) {
    JobTable table(limits(320));
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 5000; ++i) {
                const std::string id = std::to_string(t) + "/" + std::to_string(i % 700);
                table.record(id, "s");
                (void)table.owner(std::to_string((t + 1) % 4) + "/" + std::to_string(i % 700));
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_LE(table.size(), 320u);
}

// --- submitJob answers ---------------------------------------------------------------------------------------

constexpr const char* kAnswer = R"({"jobId":"j8f1d2c3b4a5968778695a4b3c2d1e0f1","jobStatus":"esriJobSubmitted"})";
constexpr const char* kAnswerJobId = "j8f1d2c3b4a5968778695a4b3c2d1e0f1";

// window_bits: 16 + 15 gzip, 15 zlib, -15 raw deflate.
std::string compress(std::string_view in, int window_bits) {
    z_stream zs{};
    if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        throw std::runtime_error("deflateInit2");
    }
    std::string out(deflateBound(&zs, static_cast<uLong>(in.size())) + 64, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) throw std::runtime_error("deflate");
    return out;
}

TEST(SubmitResponse, PlainJson) {
    EXPECT_EQ(job_id_from_submit_response(kAnswer, ""), kAnswerJobId);
    EXPECT_EQ(job_id_from_submit_response(kAnswer, "identity"), kAnswerJobId);
    EXPECT_EQ(job_id_from_submit_response("  {\n \"jobId\" : \"abc_DEF-123\" }\n", ""), "abc_DEF-123");
}

TEST(SubmitResponse, Gzip) {
    const std::string body = compress(kAnswer, 16 + 15);
    EXPECT_EQ(job_id_from_submit_response(body, "gzip"), kAnswerJobId);
    EXPECT_EQ(job_id_from_submit_response(body, "x-gzip"), kAnswerJobId);
    EXPECT_EQ(job_id_from_submit_response(body, " GZIP "), kAnswerJobId);
}

TEST(SubmitResponse, ZlibDeflate) {
    EXPECT_EQ(job_id_from_submit_response(compress(kAnswer, 15), "deflate"), kAnswerJobId);
}

TEST(SubmitResponse, RawDeflate) {
    EXPECT_EQ(job_id_from_submit_response(compress(kAnswer, -15), "deflate"), kAnswerJobId);
}

TEST(SubmitResponse, CompressedBodyWithoutTheHeaderIsNotJson) {
    EXPECT_EQ(job_id_from_submit_response(compress(kAnswer, 16 + 15), ""), std::nullopt);
}

TEST(SubmitResponse, TruncatedOrCorruptCompressedBody) {
    const std::string body = compress(kAnswer, 16 + 15);
    EXPECT_EQ(job_id_from_submit_response(body.substr(0, body.size() / 2), "gzip"), std::nullopt);
    EXPECT_EQ(job_id_from_submit_response("not gzip at all", "gzip"), std::nullopt);
    EXPECT_EQ(job_id_from_submit_response("not deflate at all", "deflate"), std::nullopt);
    EXPECT_EQ(job_id_from_submit_response("", "gzip"), std::nullopt);
}

TEST(SubmitResponse, UnsupportedEncoding) {
    EXPECT_EQ(job_id_from_submit_response(kAnswer, "br"), std::nullopt);
    EXPECT_EQ(job_id_from_submit_response(kAnswer, "gzip, br"), std::nullopt);
}

TEST(SubmitResponse, ErrorAnswersAndWrongShapes) {
    EXPECT_EQ(job_id_from_submit_response(
                  R"({"error":{"code":400,"message":"Unable to complete operation.","details":[]}})", ""),
              std::nullopt);
    EXPECT_EQ(job_id_from_submit_response(R"({"jobId":12345})", ""), std::nullopt);
    EXPECT_EQ(job_id_from_submit_response(R"({"jobId":""})", ""), std::nullopt);
    EXPECT_EQ(job_id_from_submit_response(R"({"jobId":"../../etc/passwd"})", ""), std::nullopt);
    EXPECT_EQ(job_id_from_submit_response(R"({"jobId":"a b"})", ""), std::nullopt);
    EXPECT_EQ(job_id_from_submit_response(R"(["jobId","j1"])", ""), std::nullopt);
    EXPECT_EQ(job_id_from_submit_response(R"("j1")", ""), std::nullopt);
    EXPECT_EQ(job_id_from_submit_response("{\"jobId\":\"" + std::string(128, 'a') + "\"}", ""),
              std::string(128, 'a'));
    EXPECT_EQ(job_id_from_submit_response("{\"jobId\":\"" + std::string(129, 'a') + "\"}", ""), std::nullopt);
}

TEST(SubmitResponse, Garbage) {
    EXPECT_EQ(job_id_from_submit_response("", ""), std::nullopt);
    EXPECT_EQ(job_id_from_submit_response("<html><body>502 Bad Gateway</body></html>", ""), std::nullopt);
    EXPECT_EQ(job_id_from_submit_response(R"({"jobId":"j1")", ""), std::nullopt);
    EXPECT_EQ(job_id_from_submit_response(std::string("\x00\xff\x13{", 4), ""), std::nullopt);
}

TEST(SubmitResponse, OversizedBodies) {
    // Valid JSON with the jobId first, padded past 1 MiB: refused plain and once inflated (where it compresses
    // to almost nothing, the cap on the inflated size is what refuses it).
    const std::string big = R"({"jobId":"j1","pad":")" + std::string((1 << 20) + 16, 'x') + "\"}";
    EXPECT_EQ(job_id_from_submit_response(big, ""), std::nullopt);
    const std::string gz = compress(big, 16 + 15);
    EXPECT_LT(gz.size(), 1u << 16);
    EXPECT_EQ(job_id_from_submit_response(gz, "gzip"), std::nullopt);
    EXPECT_EQ(job_id_from_submit_response(compress(big, -15), "deflate"), std::nullopt);
    // Just under the cap is fine.
    const std::string fits = R"({"jobId":"j1","pad":")" + std::string((1 << 20) - 64, 'x') + "\"}";
    EXPECT_EQ(job_id_from_submit_response(compress(fits, 16 + 15), "gzip"), "j1");
}

}  // namespace
}  // namespace gisgate::gis
