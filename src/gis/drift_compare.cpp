#include "gis/drift_compare.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

namespace gisgate::gis {
namespace {

void add(ServerDrift& drift, std::string difference, bool decisive) {
    if (drift.differences.size() < kMaxListedDifferences) drift.differences.push_back(std::move(difference));
    ++drift.count;
    drift.decisive = drift.decisive || decisive;
}

}  // namespace

std::map<std::string, ServerDrift> compare_catalogs(
    const std::vector<std::pair<std::string, const Catalog*>>& catalogs) {
    std::map<std::string, ServerDrift> out;
    const std::size_t n = catalogs.size();
    if (n < 2) return out;

    // (name, type) → server index → description hash. Catalogs are sorted, so the map's order is the
    // catalog order and each server's differences come out sorted by service.
    std::map<std::pair<std::string, std::string>, std::map<std::size_t, const std::string*>> listed;
    for (std::size_t i = 0; i < n; ++i)
        for (const CatalogEntry& e : catalogs[i].second->services)
            listed[{e.name, e.type}][i] = &e.description_hash;

    for (const auto& [key, by_server] : listed) {
        const std::string label = fmt::format("{} ({})", key.first, key.second);
        const std::size_t count = by_server.size();
        if (count < n) {
            const bool in_majority = count * 2 > n;
            const bool tie = count * 2 == n;
            const std::string note = tie ? fmt::format(" (no majority: on {} of {} servers)", count, n) : "";
            for (std::size_t i = 0; i < n; ++i) {
                const bool lists = by_server.count(i) != 0;
                if (!lists && (in_majority || tie)) add(out[catalogs[i].first], "missing " + label + note, !tie);
                if (lists && !in_majority) add(out[catalogs[i].first], "extra " + label + note, !tie);
            }
            if (!in_majority) continue;  // not in the majority view: descriptions do not matter
        }

        // The most common description among the servers listing it.
        std::map<std::string, std::size_t> votes;
        for (const auto& [i, hash] : by_server) ++votes[*hash];
        if (votes.size() < 2) continue;
        std::size_t best = 0, best_count = 0;
        for (const auto& [hash, v] : votes) {
            if (v > best_count) best = 1, best_count = v;
            else if (v == best_count) ++best;
        }
        const bool tie = best > 1;  // several hashes share the top count
        for (const auto& [i, hash] : by_server) {
            if (!tie && votes[*hash] == best_count) continue;
            add(out[catalogs[i].first], label + " description differs" + (tie ? " (no majority)" : ""), !tie);
        }
    }
    return out;
}

ServerDrift compare_with_reference(const Catalog& reference, const Catalog& catalog) {
    ServerDrift drift;
    // Both lists are sorted by (name, type): one merge pass.
    auto r = reference.services.begin();
    auto c = catalog.services.begin();
    const auto label = [](const CatalogEntry& e) { return fmt::format("{} ({})", e.name, e.type); };
    while (r != reference.services.end() || c != catalog.services.end()) {
        if (c == catalog.services.end() ||
            (r != reference.services.end() && std::tie(r->name, r->type) < std::tie(c->name, c->type))) {
            add(drift, "missing " + label(*r++), true);
        } else if (r == reference.services.end() || std::tie(c->name, c->type) < std::tie(r->name, r->type)) {
            add(drift, "extra " + label(*c++), true);
        } else {
            if (r->description_hash != c->description_hash) add(drift, label(*c) + " description differs", true);
            ++r, ++c;
        }
    }
    return drift;
}

}  // namespace gisgate::gis
