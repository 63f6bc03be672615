// Uploaded items of one site (a service's Uploads capability: uploads/upload, uploads/<itemID>). Only the
// metadata is kept — the file's bytes are counted and dropped — so a benchmark can upload without growing the
// sim. Items live only in this site's memory: another site (or a restart) does not know them, as a real site
// keeps them in its own uploads directory, which is what a load balancer must cope with.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>

namespace gisgate::sim {

struct UploadedItem {
    std::string id;           // "i" + a UUID in lower-case hex (i912f0648-a455-4d08-ae95-44eb5b82de2e), like ArcGIS
    std::string name;         // the file name the client sent
    std::string description;  // the upload's optional description
    std::string service;      // the service whose Uploads took it, e.g. "Analysis/Buffer"
    std::uint64_t size = 0;   // bytes of the file
    std::int64_t date = 0;    // milliseconds since the epoch
};

class UploadStore {
public:
    UploadStore();
    UploadedItem add(std::string name, std::string description, std::string service, std::uint64_t size);
    std::optional<UploadedItem> find(const std::string& id) const;
    std::size_t size() const;

    // Beyond this many items the oldest are forgotten (ArcGIS's uploads directory is cleaned up by age).
    static constexpr std::size_t kMaxItems = 100000;

private:
    mutable std::mutex mutex_;
    std::unordered_map<std::string, UploadedItem> items_;
    std::deque<std::string> order_;  // ids, oldest first
    std::mt19937_64 rng_;
};

}  // namespace gisgate::sim
