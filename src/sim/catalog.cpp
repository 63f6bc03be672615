#include "sim/catalog.hpp"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "sim/params.hpp"

namespace gisgate::sim {

// ordered_json keeps folders in file order.
using ordered_json = nlohmann::ordered_json;

namespace {

const char* const kServiceTypes[] = {
    "MapServer",      "FeatureServer", "GeocodeServer",    "GPServer",      "ImageServer",
    "GeometryServer", "GlobeServer",   "NAServer",         "SceneServer",   "SchematicsServer",
    "MobileServer",   "StreamServer",  "VectorTileServer", "GeoDataServer", "WorkflowManagerServer",
};

// YAML is converted to JSON first so both formats share one validator. Scalars stay strings: the shape only
// has strings in it, and YAML "yes"/"1" must not turn a service called "1" into a number.
ordered_json yaml_to_json(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Sequence: {
            ordered_json arr = ordered_json::array();
            for (const auto& item : node) arr.push_back(yaml_to_json(item));
            return arr;
        }
        case YAML::NodeType::Map: {
            ordered_json obj = ordered_json::object();
            for (const auto& kv : node) obj[kv.first.as<std::string>()] = yaml_to_json(kv.second);
            return obj;
        }
        case YAML::NodeType::Scalar: return node.as<std::string>();
        default: return nullptr;
    }
}

[[noreturn]] void fail(const std::string& source, const std::string& what) {
    throw std::runtime_error("catalog " + source + ": " + what);
}

std::string text_of(const ordered_json& j, const std::string& source, const std::string& where) {
    if (!j.is_string())
        fail(source, where + " must be a string");
    return j.get<std::string>();
}

std::vector<std::string> string_list(const ordered_json& j, const std::string& source, const std::string& where) {
    if (!j.is_array())
        fail(source, where + " must be a list");
    std::vector<std::string> out;
    for (const auto& item : j) out.push_back(text_of(item, source, where + " entry"));
    return out;
}

GpTask parse_task(const ordered_json& j, const std::string& source, const std::string& where) {
    GpTask task;
    if (j.is_string()) {
        task.name = j.get<std::string>();
    } else if (j.is_object()) {
        if (!j.contains("name"))
            fail(source, where + ": task needs a name");
        task.name = text_of(j["name"], source, where + ".name");
        for (const char* key : {"execution", "executionType"}) {
            if (!j.contains(key))
                continue;
            std::string e = to_lower(text_of(j[key], source, where + "." + key));
            if (e == "async" || e == "asynchronous" || e == "esriexecutiontypeasynchronous")
                task.async = true;
            else if (e == "sync" || e == "synchronous" || e == "esriexecutiontypesynchronous")
                task.async = false;
            else
                fail(source, where + ": execution must be sync or async, not '" + e + "'");
        }
        if (j.contains("inputs"))
            task.inputs = string_list(j["inputs"], source, where + ".inputs");
        if (j.contains("output"))
            task.output = text_of(j["output"], source, where + ".output");
    } else {
        fail(source, where + ": a task is a name or {name, execution, inputs, output}");
    }
    if (task.name.empty() || task.name.find('/') != std::string::npos)
        fail(source, where + ": bad task name '" + task.name + "'");
    return task;
}

Service parse_service(const ordered_json& j, const std::string& folder, const std::string& source, const std::string& where) {
    if (!j.is_object() || !j.contains("name") || !j.contains("type"))
        fail(source, where + ": a service needs name and type");
    Service s;
    s.folder = folder;
    s.name = text_of(j["name"], source, where + ".name");
    // "Maps/Streets" inside folder Maps is the name as the REST listing prints it; accept it.
    if (!folder.empty() && s.name.size() > folder.size() + 1 && iequals(s.name.substr(0, folder.size()), folder) &&
        s.name[folder.size()] == '/')
        s.name = s.name.substr(folder.size() + 1);
    if (s.name.empty() || s.name.find('/') != std::string::npos)
        fail(source, where + ": bad service name '" + s.name + "'");
    std::string type = text_of(j["type"], source, where + ".type");
    s.type = canonical_service_type(type);
    if (s.type.empty())
        fail(source, where + ": unknown service type '" + type + "'");
    if (j.contains("layers"))
        s.layers = string_list(j["layers"], source, where + ".layers");
    if (j.contains("tasks")) {
        if (s.type != "GPServer")
            fail(source, where + ": only a GPServer has tasks");
        if (!j["tasks"].is_array())
            fail(source, where + ".tasks must be a list");
        for (std::size_t i = 0; i < j["tasks"].size(); ++i)
            s.tasks.push_back(parse_task(j["tasks"][i], source, where + ".tasks[" + std::to_string(i) + "]"));
    }
    if (j.contains("tiling")) {
        const std::string tiling = text_of(j["tiling"], source, where + ".tiling");
        if (s.type != "MapServer")
            fail(source, where + ": only a MapServer has a tiling scheme");
        if (tiling != "wgs84" && tiling != "web_mercator")
            fail(source, where + ".tiling must be wgs84 or web_mercator, got '" + tiling + "'");
        s.web_mercator = tiling == "web_mercator";
    }
    if ((s.type == "MapServer" || s.type == "FeatureServer") && s.layers.empty())
        s.layers = {"Points"};
    if (s.type == "GPServer" && s.tasks.empty())
        s.tasks.push_back(GpTask{"Task"});
    return s;
}

void add_service(Catalog& c, Service s, const std::string& source) {
    if (c.find(s.full_name(), s.type))
        fail(source, "duplicate service " + s.full_name() + " (" + s.type + ")");
    c.services.push_back(std::move(s));
}

Catalog from_json(const ordered_json& root, const std::string& source) {
    if (!root.is_object())
        fail(source, "top level must be a mapping with 'folders' and/or 'services'");
    Catalog c;
    for (const auto& [key, value] : root.items()) {
        if (key != "folders" && key != "services")
            fail(source, "unknown key '" + key + "'");
    }
    if (root.contains("services") && !root["services"].is_null()) {
        const ordered_json& list = root["services"];
        if (!list.is_array())
            fail(source, "'services' must be a list");
        for (std::size_t i = 0; i < list.size(); ++i)
            add_service(c, parse_service(list[i], "", source, "services[" + std::to_string(i) + "]"), source);
    }
    if (root.contains("folders") && !root["folders"].is_null()) {
        const ordered_json& folders = root["folders"];
        if (!folders.is_object())
            fail(source, "'folders' must map folder names to service lists");
        for (const auto& [name, list] : folders.items()) {
            if (name.empty() || name.find('/') != std::string::npos)
                fail(source, "bad folder name '" + name + "'");
            if (c.find_folder(name))
                fail(source, "duplicate folder " + name);
            c.folders.push_back(name);
            if (list.is_null())
                continue;
            if (!list.is_array())
                fail(source, "folder " + name + " must be a list of services");
            for (std::size_t i = 0; i < list.size(); ++i)
                add_service(c, parse_service(list[i], name, source, name + "[" + std::to_string(i) + "]"), source);
        }
    }
    return c;
}

Service make(std::string folder, std::string name, std::string type, std::vector<std::string> layers = {},
             std::vector<GpTask> tasks = {}) {
    Service s;
    s.folder = std::move(folder);
    s.name = std::move(name);
    s.type = std::move(type);
    s.layers = std::move(layers);
    s.tasks = std::move(tasks);
    return s;
}

}  // namespace

std::string canonical_service_type(const std::string& type) {
    for (const char* t : kServiceTypes)
        if (iequals(type, t))
            return t;
    return "";
}

const GpTask* Service::find_task(const std::string& task) const {
    for (const auto& t : tasks)
        if (iequals(t.name, task))
            return &t;
    return nullptr;
}

Catalog Catalog::builtin() {
    Catalog c;
    c.folders = {"Maps", "Geocode", "Utilities", "Analysis", "Streams"};
    c.services.push_back(make("", "SampleWorldCities", "MapServer", {"Cities", "Continent", "World"}));
    c.services.push_back(make("Maps", "Streets", "MapServer", {"Roads", "Labels"}));
    c.services.back().web_mercator = true;  // the scheme Leaflet and ArcGIS Online basemaps use
    c.services.push_back(make("Maps", "Parcels", "FeatureServer", {"Parcels"}));
    c.services.push_back(make("Maps", "Parcels", "MapServer", {"Parcels"}));
    c.services.push_back(make("Geocode", "World", "GeocodeServer"));
    c.services.push_back(
        make("Utilities", "PrintingTools", "GPServer", {},
             {GpTask{"ExportWebMap", false, {"Web_Map_as_JSON", "Format", "Layout_Template"}, "Output_File"}}));
    c.services.push_back(make("Analysis", "Buffer", "GPServer", {},
                              {GpTask{"BufferPoints", true, {"Input_Features", "Distance"}, "Output_File"}}));
    c.services.push_back(make("Streams", "Vehicles", "StreamServer"));
    return c;
}

Catalog Catalog::load_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("catalog " + path + ": cannot read file");
    std::stringstream ss;
    ss << in.rdbuf();
    return parse(ss.str(), path);
}

Catalog Catalog::parse(const std::string& text, const std::string& source) {
    auto first = text.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && text[first] == '{') {
        ordered_json root;
        try {
            root = ordered_json::parse(text);
        } catch (const ordered_json::parse_error& e) {
            fail(source, std::string("invalid JSON: ") + e.what());
        }
        return from_json(root, source);
    }
    YAML::Node node;
    try {
        node = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        fail(source, std::string("invalid YAML: ") + e.what());
    }
    return from_json(yaml_to_json(node), source);
}

const std::string* Catalog::find_folder(const std::string& name) const {
    for (const auto& f : folders)
        if (iequals(f, name))
            return &f;
    return nullptr;
}

const Service* Catalog::find(const std::string& full_name, const std::string& type) const {
    for (const auto& s : services)
        if (iequals(s.full_name(), full_name) && iequals(s.type, type))
            return &s;
    return nullptr;
}

bool Catalog::has_service_named(const std::string& full_name) const {
    for (const auto& s : services)
        if (iequals(s.full_name(), full_name))
            return true;
    return false;
}

std::vector<const Service*> Catalog::in_folder(const std::string& folder) const {
    std::vector<const Service*> out;
    for (const auto& s : services)
        if (iequals(s.folder, folder))
            out.push_back(&s);
    return out;
}

LiveCatalog::LiveCatalog(Catalog initial) {
    versions_.push_back(std::make_unique<const Catalog>(std::move(initial)));
    current_.store(versions_.back().get(), std::memory_order_release);
}

bool LiveCatalog::replace(Catalog next) {
    std::lock_guard lock(mutex_);
    if (versions_.size() >= kMaxVersions) return false;
    versions_.push_back(std::make_unique<const Catalog>(std::move(next)));
    current_.store(versions_.back().get(), std::memory_order_release);
    return true;
}

std::uint64_t LiveCatalog::version() const {
    std::lock_guard lock(mutex_);
    return versions_.size();
}

}  // namespace gisgate::sim
