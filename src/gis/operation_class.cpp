#include "gis/operation_class.hpp"

#include <array>
#include <charconv>

#include "http/redact.hpp"
#include "util/ascii.hpp"
#include "util/glob.hpp"

namespace gisgate::gis {

namespace {

using config::OperationClass;

bool is_one_of(std::string_view op, std::initializer_list<std::string_view> names) {
    for (std::string_view n : names)
        if (util::iequals(op, n)) return true;
    return false;
}

bool rule_matches(const config::ClassRule& rule, const Classification& c) {
    if (rule.services != "*" && !service_glob_match(rule.services, c.folder, c.service)) return false;
    return util::iglob_match(rule.type, c.type) && util::iglob_match(rule.operations, c.operation);
}

// `size=W,H` (or W%2CH): whether either side exceeds `limit`. Absent or unreadable: ArcGIS's default of 400x400.
bool export_larger_than(std::string_view query, std::uint32_t limit) {
    std::string_view size = http::query_param(query, "size").value_or(std::string_view{});
    std::array<std::uint64_t, 2> sides{400, 400};
    for (std::uint64_t& side : sides) {
        std::uint64_t v = 0;
        const auto [end, ec] = std::from_chars(size.data(), size.data() + size.size(), v);
        if (ec != std::errc{}) return false;
        side = v;
        size.remove_prefix(static_cast<std::size_t>(end - size.data()));
        if (size.starts_with(",")) size.remove_prefix(1);
        else if (size.size() >= 3 && util::iequals(size.substr(0, 3), "%2C")) size.remove_prefix(3);
    }
    return sides[0] > limit || sides[1] > limit;
}

OperationClass built_in(const Classification& c, std::string_view query, bool body_unknown,
                        std::uint32_t heavy_export_size) {
    if (c.kind != TrafficKind::service) return OperationClass::other;
    if (c.service.empty() || c.operation.empty()) return OperationClass::interactive;  // catalog, metadata
    const std::string_view op = c.operation;
    if (util::iequals(c.type, "GPServer")) {
        if (c.submit_job || util::iequals(op, "execute")) return OperationClass::heavy;
        // A job's status, messages and results are reads of what the job stored: cheap, and polled by a
        // waiting client. Task metadata likewise.
        if (!c.job_id.empty() || !c.task.empty()) return OperationClass::interactive;
        return OperationClass::other;  // uploads and the like
    }
    if (is_one_of(op, {"export", "exportImage"})) {
        if (body_unknown) return OperationClass::other;
        return export_larger_than(query, heavy_export_size) ? OperationClass::heavy : OperationClass::interactive;
    }
    if (is_one_of(op, {"tile", "query", "queryRelatedRecords", "identify", "find", "legend", "findAddressCandidates",
                       "reverseGeocode", "suggest"}))
        return OperationClass::interactive;
    if (is_one_of(op, {"geocodeAddresses", "generateRenderer", "generateKml", "createReplica", "synchronizeReplica",
                       "exportTiles", "computeHistograms", "computeStatisticsHistograms"}))
        return OperationClass::heavy;
    return OperationClass::other;
}

}  // namespace

OperationClass operation_class(const Classification& c, std::string_view query, bool body_unknown,
                               const config::ClassesConfig& classes) {
    for (const config::ClassRule& rule : classes.rules)
        if (rule_matches(rule, c)) return rule.cls;
    return built_in(c, query, body_unknown, classes.heavy_export_size);
}

}  // namespace gisgate::gis
