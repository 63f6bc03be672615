// Operation classes of a pool (docs/throttling.md): `classes` (rules and the export size that makes an export
// heavy), `class_limits` (each class's share of max_active_per_server) and `class_queue` (weights, timeouts).
#include "config/loader_impl.hpp"

#include <fmt/format.h>

#include "config/enum_names.hpp"

namespace gisgate::config::detail {

namespace {

std::size_t index_of(OperationClass c) { return static_cast<std::size_t>(c); }

}  // namespace

void Loader::read_classes(const MapFields& pool_map, PoolConfig& pool) {
    ClassesConfig& classes = pool.classes;
    if (const Field* f = pool_map.find("classes")) {
        const MapFields map(r_, *f, "classes", {"rules", "heavy_export_size", "limits"});
        if (const Field* l = map.find("limits")) {
            static constexpr Named<bool> kLimitsModes[] = {{false, "always"}, {true, "while_mixed"}};
            classes.limits_while_mixed = r_.choice(*l, kLimitsModes);
        }
        if (const Field* s = map.find("heavy_export_size"))
            classes.heavy_export_size = static_cast<std::uint32_t>(r_.integer(*s, 1, 100'000));
        if (const Field* rules = map.find("rules")) {
            for (const YAML::Node& node : r_.list(*rules)) {
                const MapFields rule_map(r_, r_.item(node, "rule"), "class rule",
                                         {"services", "type", "operations", "class"});
                ClassRule rule;
                rule.loc = rule_map.loc();
                if (const Field* g = rule_map.find("services")) rule.services = r_.string(*g);
                if (const Field* g = rule_map.find("type")) rule.type = r_.string(*g);
                if (const Field* g = rule_map.find("operations")) rule.operations = r_.string(*g);
                rule.cls = r_.choice(rule_map.require("class"), kOperationClassNames);
                for (const std::string* glob : {&rule.services, &rule.type, &rule.operations})
                    if (glob->empty()) r_.fail(rule.loc, "a class rule's globs must not be empty (\"*\" matches all)");
                classes.rules.push_back(std::move(rule));
            }
        }
    }
    if (const Field* f = pool_map.find("class_limits")) {
        const MapFields map(r_, *f, "class_limits", {"interactive", "other", "heavy"});
        for (const Field& field : map.fields()) {
            const double share = r_.percent(field);
            if (share <= 0)
                r_.fail(r_.loc(field), fmt::format("class_limits '{}' must be above 0% (a class with no slot could "
                                                   "never be served)", field.name));
            classes.limit_percent[index_of(*value_of(kOperationClassNames, field.name))] = share;
        }
        if (!pool.limited())
            r_.fail(map.loc(), "class_limits are shares of max_active_per_server: set max_active_per_server (a "
                               "number or auto) too");
    }
    if (const Field* f = pool_map.find("class_queue")) {
        const MapFields map(r_, *f, "class_queue", {"interactive", "other", "heavy"});
        for (const Field& field : map.fields()) {
            const std::size_t i = index_of(*value_of(kOperationClassNames, field.name));
            const MapFields settings(r_, field, std::string("class_queue ") + std::string(field.name),
                                     {"weight", "timeout"});
            if (const Field* w = settings.find("weight"))
                classes.weight[i] = static_cast<std::uint32_t>(r_.integer(*w, 1, 1000));
            if (const Field* t = settings.find("timeout")) classes.queue_timeout[i] = r_.positive_duration(*t);
        }
    }
}

}  // namespace gisgate::config::detail
