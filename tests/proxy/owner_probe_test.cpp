// The probe URLs that ask a site whether it owns a job or an uploaded item.
#include "proxy/owner_probe.hpp"

#include <gtest/gtest.h>

namespace gisgate::proxy {
namespace {

constexpr const char* kItem = "ib740c7bb-e5d0-4156-9cea-12fa7d3a472c";

TEST(OwnerProbe, UploadProbeAsksTheRequestsServiceAboutTheItem) {
    const std::string execute = "/arcgis/rest/services/Utilities/PrintingTools/GPServer/ExportWebMap/execute";
    EXPECT_EQ(upload_probe_path(gis::classify(execute), execute, kItem),
              std::string("/arcgis/rest/services/Utilities/PrintingTools/GPServer/uploads/") + kItem + "?f=json");
    // A route rewrote /server to /arcgis: the forwarded path is asked, with the type as the client spelled it.
    const std::string client = "/server/rest/services/Maps/Streets/mapserver/uploads/" + std::string(kItem);
    const std::string forwarded = "/arcgis/rest/services/Maps/Streets/mapserver/uploads/" + std::string(kItem);
    EXPECT_EQ(upload_probe_path(gis::classify(client), forwarded, kItem), forwarded + "?f=json");
    // A folder named like the type's text does not end the service early.
    const std::string tricky = "/arcgis/rest/services/GPServerTools/Buffer/GPServer/Task/execute";
    EXPECT_EQ(upload_probe_path(gis::classify(tricky), tricky, kItem),
              std::string("/arcgis/rest/services/GPServerTools/Buffer/GPServer/uploads/") + kItem + "?f=json");
    // No service type: nothing to ask.
    const std::string folder = "/arcgis/rest/services/Maps";
    EXPECT_EQ(upload_probe_path(gis::classify(folder), folder, kItem), "");
}

TEST(OwnerProbe, JobProbeAsksForTheJobResource) {
    const std::string job = "j0123456789abcdef0123456789abcdef";
    const std::string path = "/arcgis/rest/services/Analysis/Buffer/GPServer/BufferPoints/jobs/" + job + "/results/Out";
    EXPECT_EQ(job_probe_path(gis::classify(path), path),
              "/arcgis/rest/services/Analysis/Buffer/GPServer/BufferPoints/jobs/" + job + "?f=json");
}

}  // namespace
}  // namespace gisgate::proxy
