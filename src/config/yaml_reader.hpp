// Internal to config/: typed, located access to yaml-cpp nodes. Every failure throws ConfigError pointing at
// the node at fault, so the section readers in loader.cpp stay free of error plumbing.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/enum_names.hpp"
#include "config/loader.hpp"

namespace gisgate::config::detail {

// One `key: value` pair. The key is kept because an empty value (`bind:`) has no useful mark of its own:
// yaml-cpp places it at the next token, often on the following line.
struct Field {
    std::string_view name;
    YAML::Node key;
    YAML::Node value;
};

class Reader {
public:
    explicit Reader(std::string file) : file_(std::move(file)) {}

    const std::string& file() const { return file_; }
    SourceLoc loc(const YAML::Node& node) const;
    SourceLoc loc(const Field& field) const;  // the value's, or the key's when the value is empty
    [[noreturn]] void fail(const SourceLoc& loc, const std::string& message) const;

    // Scalars. `field.name` appears in messages ("'weight' must be ...").
    std::string scalar(const Field& field, std::string_view expected) const;  // "must be <expected>, got a map"
    // A value named in `table` (config/enum_names.hpp); else "<prefix>'<key>' must be a or b, got 'x'".
    template <class T, std::size_t N>
    T choice(const Field& field, const Named<T> (&table)[N], std::string_view prefix = {}) const {
        const std::string text = string(field);
        if (const auto value = value_of(table, text)) return *value;
        fail(loc(field), std::string(prefix) + "'" + std::string(field.name) + "' must be " + choices_of(table) +
                             ", got '" + text + "'");
    }
    std::string string(const Field& field) const;
    std::uint64_t integer(const Field& field, std::uint64_t min, std::uint64_t max) const;
    bool boolean(const Field& field) const;
    Duration duration(const Field& field) const;
    Duration positive_duration(const Field& field) const;  // a timeout of 0 would fail every request
    std::uint64_t size(const Field& field, std::uint64_t min, std::uint64_t max) const;
    double percent(const Field& field) const;  // "50%", "50" or "0.5%": 0 to 100
    Endpoint endpoint(const Field& field) const;
    std::vector<Cidr> cidrs(const Field& field) const;
    std::vector<YAML::Node> list(const Field& field) const;
    // As a list item: fields of its own have no key, so the item's position is used.
    Field item(const YAML::Node& node, std::string_view name) const;

private:
    std::string file_;
};

// The keys of one YAML map, checked against the keys its section allows. Unknown and repeated keys are
// errors: a typo must not silently leave a default in place.
class MapFields {
public:
    MapFields(const Reader& reader, const Field& field, std::string section,
              std::initializer_list<std::string_view> allowed, std::string hint = {});

    const Field* find(std::string_view key) const;
    const Field& require(std::string_view key) const;
    const SourceLoc& loc() const { return loc_; }
    const std::vector<Field>& fields() const { return fields_; }  // in file order

private:
    const Reader& reader_;
    std::string section_;
    SourceLoc loc_;
    std::vector<Field> fields_;
};

// "a map", "a list", ... for "expected X, got Y" messages.
const char* describe(const YAML::Node& node);

}  // namespace gisgate::config::detail
