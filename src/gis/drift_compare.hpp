// The majority comparison behind drift detection, without sockets or timers so it is unit-testable.
//
// For each (service, type) some servers list it, and among those the most common description hash wins. A
// service is in the majority view when more than half of the servers list it. Exactly half is a tie: nobody
// can tell which side is right, so both sides are reported but the difference is not `decisive` (it does not
// drain anyone); the same goes for a tie between description hashes.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "gis/catalog.hpp"

namespace gisgate::gis {

struct ServerDrift {
    std::vector<std::string> differences;  // human readable, sorted by service; at most kMaxListedDifferences
    std::size_t count = 0;                 // all differences, listed or not
    bool decisive = false;                 // at least one difference against a real majority
};

inline constexpr std::size_t kMaxListedDifferences = 20;

// `catalogs`: the readable servers (name, catalog with description hashes). With fewer than two there is no
// majority and nothing is reported. Returns only the servers that differ.
std::map<std::string, ServerDrift> compare_catalogs(
    const std::vector<std::pair<std::string, const Catalog*>>& catalogs);

// `catalog` against a `reference` known to be right (a rolling change compares each changed site with the
// first one changed): "missing X (T)" for a service only the reference lists, "extra X (T)" for one only
// `catalog` lists, "X (T) description differs". Every difference is decisive; none: count 0.
ServerDrift compare_with_reference(const Catalog& reference, const Catalog& catalog);

}  // namespace gisgate::gis
