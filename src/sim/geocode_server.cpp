// GeocodeServer: locator description, findAddressCandidates, reverseGeocode and suggest, with candidates
// derived from a hash of the input so the same address always geocodes to the same place.
#include <fmt/format.h>

#include <charconv>

#include "sim/handlers.hpp"
#include "sim/image_bytes.hpp"

namespace gisgate::sim {

using nlohmann::json;

namespace {

json location_of(std::uint64_t h) {
    return {{"x", -180.0 + static_cast<double>(h % 3600000) / 10000.0},
            {"y", -90.0 + static_cast<double>((h / 3600000) % 1800000) / 10000.0}};
}

Reply description(const SimRequest& req) {
    json address_fields = json::array(
        {{{"name", "Address"},
          {"type", "esriFieldTypeString"},
          {"alias", "Address"},
          {"required", false},
          {"length", 100}},
         {{"name", "City"}, {"type", "esriFieldTypeString"}, {"alias", "City"}, {"required", false}, {"length", 50}},
         {{"name", "Postal"}, {"type", "esriFieldTypeString"}, {"alias", "ZIP"}, {"required", false}, {"length", 20}}});
    json body = {{"currentVersion", kCurrentVersionNumber},
                 {"serviceDescription", "gisgate sim locator"},
                 {"addressFields", address_fields},
                 {"singleLineAddressField",
                  {{"name", "SingleLine"},
                   {"type", "esriFieldTypeString"},
                   {"alias", "Full Address"},
                   {"required", false},
                   {"length", 200}}},
                 {"candidateFields",
                  json::array({{{"name", "Score"}, {"type", "esriFieldTypeDouble"}, {"alias", "Score"}},
                               {{"name", "Match_addr"}, {"type", "esriFieldTypeString"}, {"alias", "Match_addr"}},
                               {{"name", "Addr_type"}, {"type", "esriFieldTypeString"}, {"alias", "Addr_type"}}})},
                 {"spatialReference", spatial_reference_json()},
                 {"locatorProperties", {{"MaxBatchSize", 1000}, {"SuggestedBatchSize", 150}}},
                 {"capabilities", "Geocode,ReverseGeocode,Suggest"}};
    return json_reply(body, req.params);
}

Reply find_candidates(const SimRequest& req) {
    const Params& p = req.params;
    std::string address = param(p, "SingleLine");
    if (address.empty()) {
        for (const char* field : {"Address", "City", "Postal"}) {
            std::string v = param(p, field);
            if (v.empty())
                continue;
            if (!address.empty())
                address += ", ";
            address += v;
        }
    }
    if (address.empty())
        return bad_request("Unable to complete operation.", {"SingleLine is required"});
    int max_locations = 3;
    if (auto v = param(p, "maxLocations"); !v.empty()) {
        auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), max_locations);
        if (ec != std::errc{} || max_locations < 0)
            return bad_request("Unable to complete operation.", {"Invalid maxLocations"});
    }
    bool with_attributes = !param(p, "outFields").empty();
    json candidates = json::array();
    for (int i = 0; i < std::min(max_locations, 3); ++i) {
        std::uint64_t h = hash64(fmt::format("{}#{}", to_lower(address), i));
        double score = 100.0 - i * 4.5;
        std::string match = i == 0 ? address : fmt::format("{} ({})", address, i + 1);
        json attributes = json::object();
        if (with_attributes)
            attributes = {
                {"Score", score}, {"Match_addr", match}, {"Addr_type", i == 0 ? "PointAddress" : "StreetAddress"}};
        candidates.push_back({{"address", match},
                              {"location", location_of(h)},
                              {"score", score},
                              {"attributes", attributes},
                              {"extent",
                               {{"xmin", location_of(h)["x"].get<double>() - 0.001},
                                {"ymin", location_of(h)["y"].get<double>() - 0.001},
                                {"xmax", location_of(h)["x"].get<double>() + 0.001},
                                {"ymax", location_of(h)["y"].get<double>() + 0.001}}}});
    }
    json body = {{"spatialReference", spatial_reference_json()}, {"candidates", candidates}};
    return json_reply(body, p);
}

Reply reverse_geocode(const SimRequest& req) {
    std::string location = param(req.params, "location");
    if (location.empty())
        return bad_request("Unable to complete operation.", {"location is required"});
    std::uint64_t h = hash64(location);
    json body = {{"address",
                  {{"Match_addr", fmt::format("{} Sim Street", h % 9999 + 1)},
                   {"Address", fmt::format("{} Sim Street", h % 9999 + 1)},
                   {"City", "Simville"},
                   {"Postal", fmt::format("{:05}", h % 100000)}}},
                 {"location", location_of(h)}};
    body["location"]["spatialReference"] = spatial_reference_json();
    return json_reply(body, req.params);
}

Reply suggest(const SimRequest& req) {
    std::string text = param(req.params, "text");
    json suggestions = json::array();
    if (!text.empty())
        for (int i = 0; i < 3; ++i)
            suggestions.push_back({{"text", fmt::format("{} {}", text, i + 1)},
                                   {"magicKey", fmt::format("{:016x}", hash64(text + std::to_string(i)))},
                                   {"isCollection", false}});
    return json_reply(json{{"suggestions", suggestions}}, req.params);
}

}  // namespace

Reply handle_geocode_server(Site& site, const Service& svc, const SimRequest& req, Segments rest) {
    if (rest.empty())
        return description(req);
    if (rest.size() == 1 && iequals(rest[0], "findAddressCandidates"))
        return find_candidates(req);
    if (rest.size() == 1 && iequals(rest[0], "reverseGeocode"))
        return reverse_geocode(req);
    if (rest.size() == 1 && iequals(rest[0], "suggest"))
        return suggest(req);
    return not_found();
}

}  // namespace gisgate::sim
