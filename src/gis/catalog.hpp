// Reading a GIS site's service catalog (control thread only): /<context>/rest/services?f=json and each
// folder, optionally each service's own JSON description (hashed) for drift detection.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/asio.hpp"

namespace gisgate::health {
class Probe;
}
namespace gisgate::net {
class TlsClient;
}

namespace gisgate::gis {

// Bounds on one catalog read, so a huge or hostile site cannot make the control thread work without end: a
// catalog with more services fails (a partial one would look like services vanished), and so does a larger
// response body.
inline constexpr std::size_t kMaxCatalogServices = 2000;
inline constexpr std::size_t kMaxCatalogFolders = 500;
inline constexpr std::size_t kMaxCatalogBody = 4 * 1024 * 1024;

// Lets the owner of fetches end them promptly (a monitor stopping or replaced on reload): the requests in
// flight are aborted and the fetches fail with "cancelled". Control thread only.
struct CatalogCancel {
    void cancel();
    bool cancelled = false;
    std::vector<std::weak_ptr<health::Probe>> probes;  // of fetches using this token (fetch_catalog registers)
};

struct CatalogEntry {
    std::string name;         // "Folder/Service" or "Service", as the site lists it
    std::string type;         // "MapServer", ...
    std::string description_hash;  // hex digest of the service's JSON (empty when not fetched)
};

struct Catalog {
    std::vector<CatalogEntry> services;  // sorted by (name, type)
};

struct CatalogRequest {
    std::vector<tcp::endpoint> endpoints;
    std::string host;                  // Host header value (the server's host:port)
    std::string context = "/arcgis";  // the site's context path
    bool with_descriptions = false;    // also GET each service's ?f=json and hash it
    std::chrono::milliseconds timeout{std::chrono::seconds(10)};  // for each HTTP request
    std::shared_ptr<CatalogCancel> cancel;  // optional
    std::shared_ptr<const net::TlsClient> tls;  // the server speaks TLS (null: plain)
};

// Returns the catalog, or nullopt with `error` set (connect failure, HTTP error, bad JSON).
awaitable<std::optional<Catalog>> fetch_catalog(CatalogRequest request, std::string& error);

}  // namespace gisgate::gis
