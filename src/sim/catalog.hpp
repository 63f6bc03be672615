// The services a simulated site publishes. Built in, or loaded from a catalog file (YAML or JSON, same shape):
//
//   services:                        # root-level services
//     - {name: SampleWorldCities, type: MapServer, layers: [Cities, Continent, World]}
//   folders:                         # folder name -> its services (an empty list is an empty folder)
//     Maps:
//       - {name: Streets, type: MapServer}       # published as "Maps/Streets"; "Maps/Streets" is accepted too
//     Analysis:
//       - name: Buffer
//         type: GPServer
//         tasks:                     # GPServer only; default: one async task "Task"
//           - {name: BufferPoints, execution: async, inputs: [Input_Features, Distance], output: Output_File}
//
// A MapServer may say `tiling: web_mercator` (its tile cache in the Web Mercator scheme of ArcGIS Online and
// Leaflet, EPSG:3857) instead of the default `tiling: wgs84` (EPSG:4326, origin -180,90); the built-in
// Maps/Streets is Web Mercator, SampleWorldCities WGS84.
// `type` is an ArcGIS service type (MapServer, FeatureServer, GeocodeServer, GPServer, ImageServer, ...).
// `layers` (MapServer/FeatureServer) defaults to [Points]. Task `execution` is sync|async (or the ArcGIS names
// esriExecutionTypeSynchronous|esriExecutionTypeAsynchronous), `inputs` defaults to [Input] (all GPString),
// `output` defaults to Output_File (a GPDataFile). Names are matched case-insensitively, as ArcGIS does.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace gisgate::sim {

struct GpTask {
    std::string name;
    bool async = true;
    std::vector<std::string> inputs{"Input"};
    std::string output = "Output_File";
};

struct Service {
    std::string folder;  // "" = root
    std::string name;    // short name, without the folder
    std::string type;    // canonical spelling, e.g. "MapServer"
    std::vector<std::string> layers;
    std::vector<GpTask> tasks;
    bool web_mercator = false;  // MapServer tile cache in the Web Mercator scheme (`tiling: web_mercator`)

    std::string full_name() const { return folder.empty() ? name : folder + "/" + name; }
    const GpTask* find_task(const std::string& task) const;
};

struct Catalog {
    std::vector<std::string> folders;  // in file order
    std::vector<Service> services;

    static Catalog builtin();
    // Throws std::runtime_error naming the file on unreadable or malformed input.
    static Catalog load_file(const std::string& path);
    // `text` is JSON when it starts with '{', YAML otherwise; `source` names it in errors.
    static Catalog parse(const std::string& text, const std::string& source);

    // Canonical folder name, or nullptr.
    const std::string* find_folder(const std::string& name) const;
    // `full_name` as "Folder/Name" or "Name"; `type` case-insensitive.
    const Service* find(const std::string& full_name, const std::string& type) const;
    bool has_service_named(const std::string& full_name) const;
    std::vector<const Service*> in_folder(const std::string& folder) const;  // "" = root
};

// The site's catalog, replaceable while it serves (PUT /sim/catalog: a test "upgrades" a site) and read by
// handlers on any event-loop thread. Every version stays until the site stops, so a `const Service*` a handler
// or a StreamServer subscription holds stays valid; the number of versions is bounded instead.
class LiveCatalog {
public:
    static constexpr std::size_t kMaxVersions = 256;

    explicit LiveCatalog(Catalog initial);
    const Catalog& get() const { return *current_.load(std::memory_order_acquire); }
    // Makes `next` the catalog; false (nothing changed) once kMaxVersions were installed.
    bool replace(Catalog next);
    std::uint64_t version() const;  // 1 = the catalog the site started with

private:
    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<const Catalog>> versions_;
    std::atomic<const Catalog*> current_{nullptr};
};

// The canonical spelling of a known service type ("mapserver" -> "MapServer"), or "" if unknown.
std::string canonical_service_type(const std::string& type);

}  // namespace gisgate::sim
