// Micro-benchmarks of the http/ hot path: head parsing, path normalisation and chunked scanning.
#include <benchmark/benchmark.h>

#include <string>
#include <string_view>

#include "http/chunked.hpp"
#include "http/path.hpp"
#include "http/request_head.hpp"
#include "http/response_head.hpp"

namespace {

using namespace gisgate::http;

// What a browser running an ArcGIS JS map sends for a map export.
constexpr std::string_view kRequest =
    "GET /arcgis/rest/services/Maps/Streets/MapServer/export?bbox=-13627361.035,4548683.349,-13625067.924,"
    "4550212.090&bboxSR=102100&imageSR=102100&size=800,600&dpi=96&format=png32&transparent=true"
    "&layers=show:0,1,2&f=image HTTP/1.1\r\n"
    "Host: gis.example.org\r\n"
    "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36\r\n"
    "Accept: image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8\r\n"
    "Accept-Encoding: gzip, deflate, br, zstd\r\n"
    "Accept-Language: en-US,en;q=0.9,de;q=0.8\r\n"
    "Referer: https://gis.example.org/apps/viewer/index.html?webmap=4f2e99ba65e34bb8af49733d9778fb8e\r\n"
    "Cookie: AGS_ROLES=\"419jqfa+uOZgYod4xPOQ8Q==\"; agwtoken=abcdefghijklmnopqrstuvwxyz0123456789\r\n"
    "Connection: keep-alive\r\n"
    "\r\n";

constexpr std::string_view kResponse =
    "HTTP/1.1 200 OK\r\n"
    "Date: Mon, 13 May 2024 09:12:44 GMT\r\n"
    "Server: Microsoft-IIS/10.0\r\n"
    "Content-Type: image/png\r\n"
    "Content-Length: 183422\r\n"
    "Cache-Control: private, max-age=0\r\n"
    "ETag: \"6b3f1a2c9d\"\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Access-Control-Allow-Origin: https://gis.example.org\r\n"
    "\r\n";

void BM_ParseRequestHead(benchmark::State& state) {
    RequestHead head;
    const Limits limits;
    for (auto _ : state) {
        const ParseResult r = parse_request_head(kRequest, limits, head);
        benchmark::DoNotOptimize(r);
        benchmark::DoNotOptimize(head.head_size);
    }
    if (parse_request_head(kRequest, limits, head).status != ParseStatus::complete) state.SkipWithError("parse failed");
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kRequest.size()));
}
BENCHMARK(BM_ParseRequestHead);

void BM_ParseResponseHead(benchmark::State& state) {
    ResponseHead head;
    for (auto _ : state) {
        const ParseResult r = parse_response_head(kResponse, Method::get, 64 * 1024, 100, head);
        benchmark::DoNotOptimize(r);
        benchmark::DoNotOptimize(head.head_size);
    }
    if (parse_response_head(kResponse, Method::get, 64 * 1024, 100, head).status != ParseStatus::complete)
        state.SkipWithError("parse failed");
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kResponse.size()));
}
BENCHMARK(BM_ParseResponseHead);

void BM_NormalizePath(benchmark::State& state) {
    const std::string_view path = state.range(0) == 0
                                      ? "/arcgis/rest/services/Maps/Streets/MapServer/export"
                                      : "/arcgis//rest/services/%4Daps/./Streets/../Streets/MapServer%2Fexport";
    NormalizedPath out;
    for (auto _ : state) {
        benchmark::DoNotOptimize(normalize_path(path, out));
        benchmark::DoNotOptimize(out.match.data());
    }
    state.SetLabel(state.range(0) == 0 ? "plain" : "escapes+dots");
}
BENCHMARK(BM_NormalizePath)->Arg(0)->Arg(1);

void BM_ChunkedScan(benchmark::State& state) {
    // A 64 KiB JSON body in 4 KiB chunks, fed as 16 KiB socket reads.
    std::string body;
    const std::string chunk(4096, 'x');
    for (int i = 0; i < 16; ++i) body += "1000\r\n" + chunk + "\r\n";
    body += "0\r\n\r\n";
    const std::string_view all(body);
    ChunkedScanner scanner;
    for (auto _ : state) {
        scanner.reset();
        std::size_t pos = 0;
        while (pos < all.size()) {
            const auto r = scanner.feed(all.substr(pos, 16 * 1024));
            pos += r.consumed;
            if (r.status != ChunkedScanner::Status::need_more) break;
        }
        benchmark::DoNotOptimize(pos);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * all.size()));
}
BENCHMARK(BM_ChunkedScan);

void BM_ChunkedScanSmallChunks(benchmark::State& state) {
    // Worst realistic case: many tiny chunks (a streaming JSON writer flushing small pieces).
    std::string body;
    for (int i = 0; i < 256; ++i) body += "1a;name=value\r\nabcdefghijklmnopqrstuvwxyz\r\n";
    body += "0\r\nX-Checksum: abc\r\n\r\n";
    const std::string_view all(body);
    ChunkedScanner scanner;
    for (auto _ : state) {
        scanner.reset();
        const auto r = scanner.feed(all);
        benchmark::DoNotOptimize(r);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * all.size()));
}
BENCHMARK(BM_ChunkedScanSmallChunks);

}  // namespace
