// classify() runs once per proxied request; these are the paths a map viewer and a GP client send most.
#include <benchmark/benchmark.h>

#include <string_view>

#include "gis/classify.hpp"

namespace {

using gisgate::gis::classify;

void BM_Classify(benchmark::State& state, std::string_view path) {
    for (auto _ : state) {
        auto c = classify(path);
        benchmark::DoNotOptimize(c);
    }
}

BENCHMARK_CAPTURE(BM_Classify, export, std::string_view("/arcgis/rest/services/Maps/Streets/MapServer/export"));
BENCHMARK_CAPTURE(BM_Classify, tile, std::string_view("/arcgis/rest/services/World_Imagery/MapServer/tile/14/6345/2751"));
BENCHMARK_CAPTURE(BM_Classify, layer_query,
                  std::string_view("/server/rest/services/Hosted/Parcels/FeatureServer/0/query"));
BENCHMARK_CAPTURE(BM_Classify, job_status,
                  std::string_view("/arcgis/rest/services/Tools/Buffer/GPServer/BufferPoints/jobs/"
                                   "j0123456789abcdef0123456789abcdef"));
BENCHMARK_CAPTURE(BM_Classify, job_directory,
                  std::string_view("/arcgis/rest/directories/arcgisjobs/tools/buffer_gpserver/"
                                   "j0123456789abcdef0123456789abcdef/scratch/output.zip"));
BENCHMARK_CAPTURE(BM_Classify, portal, std::string_view("/portal/sharing/rest/portals/self"));

void BM_ServiceGlob(benchmark::State& state) {
    for (auto _ : state) {
        bool m = gisgate::gis::service_glob_match("Geo*/*World*", "Geocode", "WorldLocator");
        benchmark::DoNotOptimize(m);
    }
}
BENCHMARK(BM_ServiceGlob);

}  // namespace
