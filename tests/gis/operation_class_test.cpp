// Which operation class a request is in: the built-in rules for ArcGIS REST operations and a pool's own rules.
#include <gtest/gtest.h>

#include "gis/operation_class.hpp"

namespace gisgate::gis {
namespace {

using config::OperationClass;

OperationClass class_of(std::string_view path, std::string_view query = {}, bool body = false,
                        const config::ClassesConfig& classes = {}) {
    return operation_class(classify(path), query, body, classes);
}

TEST(OperationClass, WhatAPersonWaitsForIsInteractive) {
    for (const char* path : {"/arcgis/rest/services/World/MapServer/tile/3/2/1",
                             "/arcgis/rest/services/Parcels/FeatureServer/0/query",
                             "/arcgis/rest/services/Parcels/MapServer/identify",
                             "/arcgis/rest/services/Parcels/MapServer/find",
                             "/arcgis/rest/services/Parcels/MapServer/legend",
                             "/arcgis/rest/services/Geocode/World/GeocodeServer/findAddressCandidates",
                             "/arcgis/rest/services/Geocode/World/GeocodeServer/reverseGeocode",
                             "/arcgis/rest/services/Geocode/World/GeocodeServer/suggest",
                             "/arcgis/rest/services/Parcels/MapServer",      // service metadata
                             "/arcgis/rest/services/Parcels/FeatureServer/0",  // layer metadata
                             "/arcgis/rest/services",                          // the catalog
                             "/arcgis/rest/services/Tools/GPServer/Buffer",   // task metadata
                             "/arcgis/rest/services/Tools/GPServer/Buffer/jobs/j0123456789abcdef",
                             "/arcgis/rest/services/Tools/GPServer/Buffer/jobs/j0123456789abcdef/results/out"})
        EXPECT_EQ(class_of(path), OperationClass::interactive) << path;
}

TEST(OperationClass, CpuBoundWorkIsHeavy) {
    for (const char* path : {"/arcgis/rest/services/Tools/GPServer/Buffer/execute",
                             "/arcgis/rest/services/Tools/GPServer/Buffer/submitJob",
                             "/arcgis/rest/services/Geocode/World/GeocodeServer/geocodeAddresses",
                             "/arcgis/rest/services/Parcels/MapServer/0/generateRenderer",
                             "/arcgis/rest/services/Parcels/MapServer/generateKml",
                             "/arcgis/rest/services/Parcels/FeatureServer/createReplica",
                             "/arcgis/rest/services/World/MapServer/exportTiles"})
        EXPECT_EQ(class_of(path), OperationClass::heavy) << path;
}

TEST(OperationClass, AnExportIsHeavyBeyondTheConfiguredSize) {
    const char* map = "/arcgis/rest/services/World/MapServer/export";
    const char* image = "/arcgis/rest/services/Elevation/ImageServer/exportImage";
    EXPECT_EQ(class_of(map, "bbox=0,0,1,1&size=1024,768&f=image"), OperationClass::interactive);
    EXPECT_EQ(class_of(map, "bbox=0,0,1,1&f=image"), OperationClass::interactive);  // ArcGIS's default 400x400
    EXPECT_EQ(class_of(map, "size=4096,4096&f=image"), OperationClass::heavy);
    EXPECT_EQ(class_of(map, "f=image&SIZE=800%2C3000"), OperationClass::heavy);  // encoded comma, any case
    EXPECT_EQ(class_of(image, "size=2049,10"), OperationClass::heavy);
    EXPECT_EQ(class_of(image, "size=2048,2048"), OperationClass::interactive);
    config::ClassesConfig smaller;
    smaller.heavy_export_size = 1000;
    EXPECT_EQ(class_of(map, "size=1024,768", false, smaller), OperationClass::heavy);
    // A POSTed export's size is in its body, not read here.
    EXPECT_EQ(class_of(map, {}, true), OperationClass::other);
}

TEST(OperationClass, EverythingElseIsOther) {
    for (const char* path : {"/arcgis/rest/services/Parcels/FeatureServer/0/applyEdits",
                             "/arcgis/rest/services/Tools/GPServer/uploads/upload",
                             "/portal/sharing/rest/content/items/abc", "/arcgis/admin/services", "/robots.txt"})
        EXPECT_EQ(class_of(path), OperationClass::other) << path;
}

TEST(OperationClass, APoolsRulesComeFirstInOrder) {
    config::ClassesConfig classes;
    classes.rules.push_back({"Utilities/*", "GPServer", "*", OperationClass::heavy, {}});
    classes.rules.push_back({"*", "*", "query", OperationClass::other, {}});
    classes.rules.push_back({"Parcels", "FeatureServer", "*", OperationClass::interactive, {}});
    EXPECT_EQ(class_of("/arcgis/rest/services/Utilities/PrintingTools/GPServer/Export%20Web%20Map%20Task", {}, false,
                       classes),
              OperationClass::heavy);
    EXPECT_EQ(class_of("/arcgis/rest/services/Parcels/FeatureServer/0/query", {}, false, classes),
              OperationClass::other) << "the first matching rule wins";
    EXPECT_EQ(class_of("/arcgis/rest/services/Parcels/FeatureServer/0/applyEdits", {}, false, classes),
              OperationClass::interactive);
    // Unmatched: the built-in rules.
    EXPECT_EQ(class_of("/arcgis/rest/services/World/MapServer/tile/1/1/1", {}, false, classes),
              OperationClass::interactive);
}

}  // namespace
}  // namespace gisgate::gis
