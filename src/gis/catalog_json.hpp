// The JSON side of catalog reads, without sockets so it is unit-testable: ArcGIS error bodies, the Services
// Directory listings, and the canonical hash of a service description.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "gis/catalog.hpp"

namespace gisgate::gis {

// Parses `body` as a JSON object. False with `error` set for bad JSON, a non-object, or an ArcGIS error
// answer ({"error":{"code":404,"message":"..."}}, which ArcGIS often sends with HTTP 200).
bool parse_arcgis_json(std::string_view body, nlohmann::json& out, std::string& error);

// Reads a Services Directory listing ({"folders":[...],"services":[{"name","type"}]}). `folder` is the listed
// folder ("" for the root); a service name listed without its folder gets it prepended, so names are always
// "Folder/Service" or "Service". Folders are appended to `folders` (root only), services to `services`.
bool parse_listing(const nlohmann::json& doc, const std::string& folder, std::vector<std::string>& folders,
                   std::vector<CatalogEntry>& services, std::string& error);

// Hex SHA-256 of the canonical form of a description: nlohmann's objects are key-sorted, so dump() gives the
// same text for the same content whatever the server's key order and whitespace. Fields that name the serving
// machine (a stream service's `streamUrls`) are left out.
std::string description_hash(const nlohmann::json& doc);

// "Maps/Streets" → "Maps/Streets" with each segment percent-encoded where needed (spaces and the like).
std::string encode_path(std::string_view path);

}  // namespace gisgate::gis
