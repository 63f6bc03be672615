#include "sim/feature_edits.hpp"

namespace gisgate::sim {

using nlohmann::json;

namespace {

json edit_ok(std::int64_t oid) {
    return {{"objectId", oid}, {"globalId", nullptr}, {"success", true}};
}

// Error codes as ArcGIS's edit results use them (1000: the edit failed; 1019: the feature does not exist).
json edit_failed(std::int64_t oid, int code, const std::string& description) {
    return {{"objectId", oid},
            {"globalId", nullptr},
            {"success", false},
            {"error", {{"code", code}, {"description", description}}}};
}

bool exists(const LayerEdits& edits, std::int64_t count, std::int64_t oid) {
    if (edits.deleted.count(oid))
        return false;
    return (oid >= 1 && oid <= count) || edits.added.count(oid);
}

// The OBJECTID of an update: attributes.OBJECTID (any case), or -1.
std::int64_t object_id_of(const json& feature) {
    if (!feature.is_object() || !feature.contains("attributes") || !feature["attributes"].is_object())
        return -1;
    for (const auto& [key, value] : feature["attributes"].items())
        if (key.size() == 8 && (key == "OBJECTID" || key == "objectid" || key == "ObjectId" || key == "ObjectID") &&
            value.is_number_integer())
            return value.get<std::int64_t>();
    return -1;
}

}  // namespace

LayerEdits& FeatureEditStore::layer_locked(const std::string& layer, std::int64_t count) {
    LayerEdits& edits = layers_[layer];
    if (edits.next_oid == 0)
        edits.next_oid = count + 1;
    return edits;
}

json FeatureEditStore::add(const std::string& layer, std::int64_t count, const json& features) {
    std::lock_guard lock(mutex_);
    LayerEdits& edits = layer_locked(layer, count);
    json results = json::array();
    for (const auto& f : features) {
        if (!f.is_object() || (f.contains("attributes") && !f["attributes"].is_object())) {
            results.push_back(edit_failed(-1, 1000, "A feature must be an object with 'attributes' and 'geometry'."));
            continue;
        }
        if (edits.added.size() >= kMaxAddedPerLayer) {
            results.push_back(edit_failed(-1, 1000, "The layer holds the most added features this site keeps."));
            continue;
        }
        const std::int64_t oid = edits.next_oid++;
        json stored = {{"attributes", f.value("attributes", json::object())}};
        if (f.contains("geometry"))
            stored["geometry"] = f["geometry"];
        stored["attributes"]["OBJECTID"] = oid;
        edits.added[oid] = std::move(stored);
        results.push_back(edit_ok(oid));
    }
    return results;
}

json FeatureEditStore::update(const std::string& layer, std::int64_t count, const json& features) {
    std::lock_guard lock(mutex_);
    LayerEdits& edits = layer_locked(layer, count);
    json results = json::array();
    for (const auto& f : features) {
        const std::int64_t oid = object_id_of(f);
        if (oid < 0) {
            results.push_back(edit_failed(-1, 1000, "An update needs attributes.OBJECTID."));
            continue;
        }
        if (!exists(edits, count, oid)) {
            results.push_back(edit_failed(oid, 1019, "Object is missing."));
            continue;
        }
        json& target = edits.added.count(oid) ? edits.added[oid] : edits.updated[oid];
        if (!target.is_object())
            target = json::object();
        for (const auto& [key, value] : f["attributes"].items()) target["attributes"][key] = value;
        target["attributes"]["OBJECTID"] = oid;
        if (f.contains("geometry"))
            target["geometry"] = f["geometry"];
        results.push_back(edit_ok(oid));
    }
    return results;
}

json FeatureEditStore::remove(const std::string& layer, std::int64_t count, const std::vector<std::int64_t>& oids) {
    std::lock_guard lock(mutex_);
    LayerEdits& edits = layer_locked(layer, count);
    json results = json::array();
    for (std::int64_t oid : oids) {
        if (!exists(edits, count, oid)) {
            results.push_back(edit_failed(oid, 1019, "Object is missing."));
            continue;
        }
        if (edits.added.erase(oid) == 0)
            edits.deleted.insert(oid);  // generated features are remembered as deleted
        edits.updated.erase(oid);
        results.push_back(edit_ok(oid));
    }
    return results;
}

}  // namespace gisgate::sim
