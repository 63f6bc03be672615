#include "gis/catalog_json.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

namespace gisgate::gis {

using nlohmann::json;

bool parse_arcgis_json(std::string_view body, json& out, std::string& error) {
    out = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
    if (out.is_discarded()) {
        error = "bad JSON";
        return false;
    }
    if (!out.is_object()) {
        error = "bad JSON: not an object";
        return false;
    }
    const auto e = out.find("error");
    if (e != out.end()) {
        std::string message = "unknown error";
        int code = 0;
        if (e->is_object()) {
            if (const auto m = e->find("message"); m != e->end() && m->is_string()) message = m->get<std::string>();
            if (const auto c = e->find("code"); c != e->end() && c->is_number_integer()) code = c->get<int>();
        }
        error = code != 0 ? fmt::format("ArcGIS error {}: {}", code, message) : "ArcGIS error: " + message;
        return false;
    }
    return true;
}

bool parse_listing(const json& doc, const std::string& folder, std::vector<std::string>& folders,
                   std::vector<CatalogEntry>& services, std::string& error) {
    if (folder.empty()) {
        if (const auto f = doc.find("folders"); f != doc.end()) {
            if (!f->is_array()) {
                error = "bad listing: 'folders' is not an array";
                return false;
            }
            for (const json& name : *f) {
                // ArcGIS folders are one level deep; a name that is not a plain segment is not followed.
                if (!name.is_string()) continue;
                std::string n = name.get<std::string>();
                if (n.empty() || n.find('/') != std::string::npos) continue;
                folders.push_back(std::move(n));
            }
        }
    }
    const auto list = doc.find("services");
    if (list == doc.end() || !list->is_array()) {
        error = "bad listing: no 'services' array";
        return false;
    }
    for (const json& s : *list) {
        if (!s.is_object()) continue;
        const auto name = s.find("name");
        const auto type = s.find("type");
        if (name == s.end() || type == s.end() || !name->is_string() || !type->is_string()) continue;
        CatalogEntry entry;
        entry.name = name->get<std::string>();
        entry.type = type->get<std::string>();
        if (entry.name.empty() || entry.type.empty()) continue;
        if (!folder.empty() && entry.name.find('/') == std::string::npos) entry.name = folder + "/" + entry.name;
        services.push_back(std::move(entry));
    }
    return true;
}

std::string description_hash(const json& doc) {
    // A stream service names the machine that serves its WebSocket (streamUrls): identical sites differ there
    // by design, so it is left out of the comparison.
    const auto stream_urls = doc.is_object() ? doc.find("streamUrls") : doc.end();
    std::string text;
    if (stream_urls == doc.end()) {
        text = doc.dump();
    } else {
        json copy = doc;
        copy.erase("streamUrls");
        text = copy.dump();
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr) != 1) return {};
    std::string hex;
    hex.reserve(size * 2);
    for (unsigned int i = 0; i < size; ++i) hex += fmt::format("{:02x}", digest[i]);
    return hex;
}

std::string encode_path(std::string_view path) {
    std::string out;
    out.reserve(path.size());
    for (const char c : path) {
        const auto u = static_cast<unsigned char>(c);
        const bool plain = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || c == '-' ||
                           c == '_' || c == '.' || c == '~' || c == '/';
        if (plain) out += c;
        else out += fmt::format("%{:02X}", u);
    }
    return out;
}

}  // namespace gisgate::gis
