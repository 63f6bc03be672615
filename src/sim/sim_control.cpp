// /sim/*: the simulator's own control surface, exempt from faults, counting and the instance limit.
//   GET  /sim/fault              -> {"mode":"ok","delay_ms":1000}
//   POST /sim/fault {"mode":"slow","delay_ms":500}   (or ?mode=slow&delay_ms=500)
//   GET  /sim/stats              -> {"site":..,"requests":N,"active":N,"max_active":N,"queued":N,
//                                    "connections":N,"jobs":N,"instances":N,"subscribers":N,
//                                    with --cpu-cores also "cpu_cores":N,"cpu_active":N (instances 0 = unbounded),
//                                    "uploads":N}
//   GET  /sim/catalog            -> {"version":N,"folders":[..],"services":["Folder/Name (Type)",..]}
//   PUT  /sim/catalog  (a catalog, YAML or JSON, as --catalog reads)  -> the same, with the new version: the
//                                   site now publishes these services (a test's "upgrade" of a site)
//   ANY  /sim/echo               -> {"method":..,"target":..,"headers":{lower-case name: value},"body":..}
#include <cctype>
#include <charconv>

#include "sim/handlers.hpp"

namespace gisgate::sim {

using nlohmann::json;

namespace {

Reply control_error(unsigned status, const std::string& message) {
    Reply r;
    r.status = status;
    r.body = json{{"error", message}}.dump();
    return r;
}

json fault_json(const Fault& f) {
    return {{"mode", to_string(f.mode)}, {"delay_ms", f.delay.count()}};
}

Reply set_fault(Site& site, const SimRequest& req) {
    Fault fault;  // fields not given take their defaults, so {"mode":"ok"} fully resets
    std::string mode;
    std::optional<std::int64_t> delay;
    if (!req.body.empty() && req.body.find_first_not_of(" \t\r\n") != std::string::npos &&
        req.body[req.body.find_first_not_of(" \t\r\n")] == '{') {
        json body = json::parse(req.body, nullptr, false);
        if (body.is_discarded() || !body.is_object())
            return control_error(400, "body must be a JSON object");
        if (body.contains("mode")) {
            if (!body["mode"].is_string())
                return control_error(400, "mode must be a string");
            mode = body["mode"].get<std::string>();
        }
        if (body.contains("delay_ms")) {
            if (!body["delay_ms"].is_number_integer() || body["delay_ms"].get<std::int64_t>() < 0)
                return control_error(400, "delay_ms must be a non-negative integer");
            delay = body["delay_ms"].get<std::int64_t>();
        }
    } else {
        mode = param(req.params, "mode");
        if (auto v = param(req.params, "delay_ms"); !v.empty()) {
            std::int64_t d = 0;
            auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
            if (ec != std::errc{} || p != v.data() + v.size() || d < 0)
                return control_error(400, "delay_ms must be a non-negative integer");
            delay = d;
        }
    }
    if (mode.empty())
        return control_error(400, "mode is required (ok, slow, error, hang, close)");
    auto parsed = parse_fault_mode(mode);
    if (!parsed)
        return control_error(400, "unknown mode '" + mode + "' (ok, slow, error, hang, close)");
    fault.mode = *parsed;
    if (delay)
        fault.delay = std::chrono::milliseconds(*delay);
    site.faults.set(fault);
    return json_reply(fault_json(fault), Params{});
}

json catalog_json(const Site& site) {
    const Catalog& catalog = site.catalog();
    json services = json::array();
    for (const Service& svc : catalog.services) services.push_back(svc.full_name() + " (" + svc.type + ")");
    return {{"version", site.catalogs.version()}, {"folders", catalog.folders}, {"services", services}};
}

Reply put_catalog(Site& site, const SimRequest& req) {
    Catalog next;
    try {
        next = Catalog::parse(req.body, "PUT /sim/catalog");
    } catch (const std::exception& e) {
        return control_error(400, e.what());
    }
    if (!site.catalogs.replace(std::move(next)))
        return control_error(409, "catalog replaced too often (" + std::to_string(LiveCatalog::kMaxVersions) +
                                      " versions); restart the sim");
    return json_reply(catalog_json(site), Params{});
}

}  // namespace

Reply handle_sim_control(Site& site, const SimRequest& req, Segments rest) {
    if (rest.size() == 1 && rest[0] == "fault") {
        if (req.method == "POST" || req.method == "PUT")
            return set_fault(site, req);
        return json_reply(fault_json(site.faults.get()), Params{});
    }
    if (rest.size() == 1 && rest[0] == "stats") {
        json body = {{"site", site.options.name},         {"requests", site.requests.load()},
                     {"active", site.instances.active()}, {"queued", site.instances.queued()},
                     {"max_active", site.peak_handling.load()}, {"connections", site.connections.load()},
                     {"jobs", site.jobs.size()},          {"instances", site.instances.limit()},
                     {"subscribers", site.subscribers.load()}, {"uploads", site.uploads.size()}};
        if (site.cpu.enabled()) {  // the CPU model: its cores and the requests sharing them now
            body["cpu_cores"] = site.cpu.cores();
            body["cpu_active"] = site.cpu.active();
            if (site.options.instances == 0)
                body["instances"] = 0;  // no bound on the requests executing at once
        }
        return json_reply(body, Params{});
    }
    if (rest.size() == 1 && rest[0] == "catalog") {
        if (req.method == "PUT" || req.method == "POST")
            return put_catalog(site, req);
        return json_reply(catalog_json(site), Params{});
    }
    if (rest.size() == 1 && rest[0] == "echo") {
        // Shows a test what a proxy in front forwarded: repeated fields are joined with ", " as HTTP allows.
        json headers = json::object();
        for (const auto& [name, value] : req.headers) {
            std::string key = name;
            for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (headers.contains(key)) headers[key] = headers[key].get<std::string>() + ", " + value;
            else headers[key] = value;
        }
        return json_reply(json{{"method", req.method}, {"target", req.target}, {"headers", headers}, {"body", req.body}},
                          Params{});
    }
    return control_error(404, "unknown /sim endpoint (fault, stats, catalog, echo)");
}

}  // namespace gisgate::sim
