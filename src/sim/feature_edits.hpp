// Feature editing on the FeatureServer (addFeatures, updateFeatures, deleteFeatures, applyEdits on a layer,
// applyEdits on the service), kept in memory per site, so POST flows through a balancer have something real
// to do. Queries see the edits: added features after the 10,000 generated ones (object ids from 10001),
// updated attributes and geometries, deleted features gone. A real multi-site deployment shares one
// geodatabase; here each site keeps its own edits, so a read sees a write only on the site that took it.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace gisgate::sim {

// The edits of one layer, as a query applies them.
struct LayerEdits {
    std::map<std::int64_t, nlohmann::json> added;    // oid -> {"attributes":{..},"geometry":{..}}
    std::map<std::int64_t, nlohmann::json> updated;  // generated oid -> the same shape (the fields given)
    std::set<std::int64_t> deleted;                  // generated or added oids
    std::int64_t next_oid = 0;                       // set from the layer size on first use
};

class FeatureEditStore {
public:
    // Each call takes the layer's key ("Maps/Parcels/0") and its generated feature count (ids 1..count).
    // Results are ArcGIS edit result objects: {"objectId", "globalId": null, "success", "error"?}.
    nlohmann::json add(const std::string& layer, std::int64_t count, const nlohmann::json& features);
    nlohmann::json update(const std::string& layer, std::int64_t count, const nlohmann::json& features);
    nlohmann::json remove(const std::string& layer, std::int64_t count, const std::vector<std::int64_t>& oids);
    // Runs `fn` with the layer's edits (nullptr when it has none) under the store's lock: a query reads them
    // without copying up to kMaxAddedPerLayer features.
    template <class Fn>
    auto read(const std::string& layer, Fn&& fn) const {
        std::lock_guard lock(mutex_);
        auto it = layers_.find(layer);
        return fn(it == layers_.end() ? nullptr : &it->second);
    }

    // At most this many features are added per layer (the sim is a benchmark target: memory stays bounded);
    // further adds fail with an edit result error.
    static constexpr std::size_t kMaxAddedPerLayer = 100000;

private:
    LayerEdits& layer_locked(const std::string& layer, std::int64_t count);
    mutable std::mutex mutex_;
    std::map<std::string, LayerEdits> layers_;
};

}  // namespace gisgate::sim
