// Geoprocessing: task descriptions, synchronous execute, asynchronous jobs, and jobs being site-local.
#include "sim/png.hpp"
#include "sim_fixture.hpp"

namespace gisgate::sim::testing {
namespace {

using gisgate::test::eventually;

const std::string kBuffer = "/arcgis/rest/services/Analysis/Buffer/GPServer";
const std::string kPrint = "/arcgis/rest/services/Utilities/PrintingTools/GPServer";

TEST_F(SimTest, GpServiceListsTasksAndExecutionTypes) {
    EXPECT_EQ(get_json(kBuffer + "?f=json")["tasks"], json({"BufferPoints"}));
    json task = get_json(kBuffer + "/BufferPoints?f=json");
    EXPECT_EQ(task["name"], "BufferPoints");
    EXPECT_EQ(task["executionType"], "esriExecutionTypeAsynchronous");
    ASSERT_EQ(task["parameters"].size(), 3u);
    EXPECT_EQ(task["parameters"][0]["name"], "Input_Features");
    EXPECT_EQ(task["parameters"][0]["direction"], "esriGPParameterDirectionInput");
    EXPECT_EQ(task["parameters"][0]["parameterType"], "esriGPParameterTypeRequired");
    EXPECT_EQ(task["parameters"][2]["direction"], "esriGPParameterDirectionOutput");
    EXPECT_TRUE(task["parameters"][2].contains("dataType"));

    EXPECT_EQ(get_json(kPrint + "/ExportWebMap?f=json")["executionType"], "esriExecutionTypeSynchronous");
    EXPECT_EQ(http_get(port(), kBuffer + "/NoSuchTask?f=json").status, 404);
}

TEST_F(SimTest, SyncTaskExecutes) {
    HttpResponse r = post_form(port(), kPrint + "/ExportWebMap/execute", "Web_Map_as_JSON=%7B%7D&Format=PNG32&f=json");
    ASSERT_EQ(r.status, 200);
    json j = parse_json(r);
    ASSERT_EQ(j["results"].size(), 1u);
    EXPECT_EQ(j["results"][0]["paramName"], "Output_File");
    EXPECT_EQ(j["results"][0]["dataType"], "GPDataFile");
    EXPECT_EQ(j["messages"], json::array());
    // The output URL serves an image.
    std::string url = j["results"][0]["value"]["url"];
    std::string prefix = "http://127.0.0.1:" + std::to_string(port());
    ASSERT_EQ(url.rfind(prefix, 0), 0u);
    HttpResponse img = http_get(port(), url.substr(prefix.size()));
    EXPECT_EQ(img.status, 200);
    EXPECT_EQ(img.body.size(), stored_png_size(800, 600));
    // GET works too; the wrong operation for the task type is an ArcGIS error.
    EXPECT_EQ(get_json(kPrint + "/ExportWebMap/execute?f=json")["results"].size(), 1u);
    EXPECT_EQ(get_json(kPrint + "/ExportWebMap/submitJob?f=json")["error"]["code"], 400);
    EXPECT_EQ(get_json(kBuffer + "/BufferPoints/execute?f=json")["error"]["code"], 400);
}

TEST_F(SimTest, AsyncJobProgressesToSucceeded) {
    auto t0 = std::chrono::steady_clock::now();
    HttpResponse r = post_form(port(), kBuffer + "/BufferPoints/submitJob", "Input_Features=pts&Distance=5&f=json");
    json submitted = parse_json(r);
    std::string id = submitted["jobId"];
    EXPECT_EQ(submitted["jobStatus"], "esriJobSubmitted");
    ASSERT_EQ(id.size(), 33u);
    EXPECT_EQ(id[0], 'j');
    EXPECT_EQ(id.substr(1).find_first_not_of("0123456789abcdef"), std::string::npos);

    const std::string job = kBuffer + "/BufferPoints/jobs/" + id;
    json first = get_json(job + "?f=json");
    EXPECT_EQ(first["jobId"], id);
    if (std::chrono::steady_clock::now() - t0 < 50ms) {
        EXPECT_EQ(first["jobStatus"], "esriJobSubmitted");
        EXPECT_EQ(first["results"], json::object());
    }
    EXPECT_TRUE(eventually([&] { return get_json(job + "?f=json")["jobStatus"] == "esriJobExecuting"; }, 5s) ||
                get_json(job + "?f=json")["jobStatus"] == "esriJobSucceeded");
    json done;
    ASSERT_TRUE(eventually(
        [&] {
            done = get_json(job + "?f=json");
            return done["jobStatus"] == "esriJobSucceeded";
        },
        5s));
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 200ms);
    EXPECT_EQ(done["results"]["Output_File"]["paramUrl"], "results/Output_File");
    EXPECT_EQ(done["inputs"]["Input_Features"]["paramUrl"], "inputs/Input_Features");
    EXPECT_GE(done["messages"].size(), 1u);
    // POST polls work as well.
    EXPECT_EQ(parse_json(post_form(port(), job, "f=json"))["jobStatus"], "esriJobSucceeded");

    json result = get_json(job + "/results/Output_File?f=json");
    EXPECT_EQ(result["paramName"], "Output_File");
    EXPECT_EQ(result["dataType"], "GPDataFile");
    std::string url = result["value"]["url"];
    std::string path = "/arcgis/rest/directories/arcgisjobs/analysis_buffer_gpserver/" + id + "/scratch/output.txt";
    EXPECT_NE(url.find(path), std::string::npos) << url;
    HttpResponse file = http_get(port(), path);
    EXPECT_EQ(file.status, 200);
    EXPECT_NE(file.body.find(id), std::string::npos);
    EXPECT_EQ(get_json(job + "/inputs/Input_Features?f=json")["value"], "pts");
    // Service-scoped job URL (newer ArcGIS) reaches the same job.
    EXPECT_EQ(get_json(kBuffer + "/jobs/" + id + "?f=json")["jobStatus"], "esriJobSucceeded");
    EXPECT_EQ(stats(port())["jobs"], 1);
}

TEST_F(SimTest, UnknownJobIsArcgisError400WithHttp200) {
    const std::string id = "j0123456789abcdef0123456789abcdef";
    HttpResponse r = http_get(port(), kBuffer + "/BufferPoints/jobs/" + id + "?f=json");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(parse_json(r), json({{"error",
                                    {{"code", 400},
                                     {"message", "Job '" + id + "' does not exist or is inaccessible."},
                                     {"details", json::array()}}}}));
    EXPECT_EQ(get_json(kBuffer + "/BufferPoints/jobs/" + id + "/results/Output_File?f=json")["error"]["code"], 400);
    EXPECT_EQ(
        http_get(port(), "/arcgis/rest/directories/arcgisjobs/analysis_buffer_gpserver/" + id + "/scratch/output.txt")
            .status,
        404);
}

TEST_F(SimTest, JobCanBeCancelled) {
    SimOptions o = local_options("slowjobs");
    o.job_duration = std::chrono::seconds(30);
    SimServer slow(o);
    std::string id = parse_json(http_get(slow.port(), kBuffer + "/BufferPoints/submitJob?f=json"))["jobId"];
    json c = parse_json(http_get(slow.port(), kBuffer + "/BufferPoints/jobs/" + id + "/cancel?f=json"));
    EXPECT_EQ(c["jobStatus"], "esriJobCancelled");
    EXPECT_EQ(parse_json(http_get(slow.port(), kBuffer + "/BufferPoints/jobs/" + id + "?f=json"))["jobStatus"],
              "esriJobCancelled");
}

TEST(SimJobs, JobsAreLocalToTheirSite) {
    SimServer a(local_options("site-a"));
    SimServer b(local_options("site-b"));
    std::string id = parse_json(http_get(a.port(), kBuffer + "/BufferPoints/submitJob?f=json"))["jobId"];
    HttpResponse at_a = http_get(a.port(), kBuffer + "/BufferPoints/jobs/" + id + "?f=json");
    HttpResponse at_b = http_get(b.port(), kBuffer + "/BufferPoints/jobs/" + id + "?f=json");
    EXPECT_EQ(at_a.header("X-Gisgate-Sim-Site"), "site-a");
    EXPECT_EQ(parse_json(at_a)["jobId"], id);
    EXPECT_EQ(at_b.status, 200);
    EXPECT_EQ(at_b.header("X-Gisgate-Sim-Site"), "site-b");
    EXPECT_EQ(parse_json(at_b)["error"]["code"], 400);
}

}  // namespace
}  // namespace gisgate::sim::testing
