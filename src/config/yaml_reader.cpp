// Typed, located access to yaml-cpp nodes; see yaml_reader.hpp.
#include "config/yaml_reader.hpp"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace gisgate::config::detail {

const char* describe(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Map: return "a map";
        case YAML::NodeType::Sequence: return "a list";
        case YAML::NodeType::Scalar: return "a scalar";
        default: return "nothing";
    }
}

SourceLoc Reader::loc(const YAML::Node& node) const {
    // yaml-cpp marks are 0-based; messages are 1-based like compilers'. A node without a mark stays 0:0.
    const YAML::Mark mark = node.IsDefined() ? node.Mark() : YAML::Mark::null_mark();
    if (mark.is_null() || mark.line < 0) return {file_, 0, 0};
    return {file_, mark.line + 1, mark.column + 1};
}

SourceLoc Reader::loc(const Field& field) const {
    if (field.value.IsDefined() && !field.value.IsNull()) {
        SourceLoc at = loc(field.value);
        if (at.line > 0) return at;
    }
    return loc(field.key);
}

void Reader::fail(const SourceLoc& loc, const std::string& message) const { throw ConfigError(loc, message); }

std::string Reader::scalar(const Field& field, std::string_view expected) const {
    if (!field.value.IsScalar()) {
        fail(loc(field), fmt::format("'{}' must be {}, got {}", field.name, expected, describe(field.value)));
    }
    return field.value.Scalar();
}

std::string Reader::string(const Field& field) const { return scalar(field, "a string"); }

std::uint64_t Reader::integer(const Field& field, std::uint64_t min, std::uint64_t max) const {
    const std::string text = scalar(field, "an integer");
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    // from_chars refuses '-' and '+' for unsigned types, so "-1" lands here rather than wrapping around.
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < min || value > max) {
        fail(loc(field), fmt::format("'{}' must be an integer from {} to {}, got '{}'", field.name, min, max, text));
    }
    return value;
}

bool Reader::boolean(const Field& field) const {
    const std::string text = scalar(field, "true or false");
    bool value = false;
    if (!YAML::convert<bool>::decode(field.value, value)) {
        fail(loc(field), fmt::format("'{}' must be true or false, got '{}'", field.name, text));
    }
    return value;
}

Duration Reader::duration(const Field& field) const {
    const std::string text = scalar(field, "a duration");
    auto value = parse_duration(text);
    if (!value) {
        fail(loc(field), fmt::format("'{}' is not a valid duration: '{}' (use e.g. 500ms, 5s, 2m, 1h, 90d)",
                                     field.name, text));
    }
    return *value;
}

Duration Reader::positive_duration(const Field& field) const {
    const Duration value = duration(field);
    if (value.count() <= 0) fail(loc(field), fmt::format("'{}' must be greater than 0", field.name));
    return value;
}

// "5%", "5", "0.5%": a percentage from 0 to 100.
double Reader::percent(const Field& f) const {
    std::string text = scalar(f, "a percentage");
    std::string_view number = text;
    if (!number.empty() && number.back() == '%') number.remove_suffix(1);
    double value = 0;
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (number.empty() || ec != std::errc{} || end != number.data() + number.size() || !std::isfinite(value) ||
        value < 0 || value > 100)
        fail(loc(f), fmt::format("'{}' must be a percentage from 0% to 100% such as 5% or 0.5%, got '{}'", f.name,
                                 text));
    return value;
}

std::uint64_t Reader::size(const Field& field, std::uint64_t min, std::uint64_t max) const {
    const std::string text = scalar(field, "a size");
    auto value = parse_size(text);
    if (!value) {
        fail(loc(field), fmt::format("'{}' is not a valid size: '{}' (use e.g. 65536, 64KB, 1MB)", field.name, text));
    }
    if (*value < min || *value > max) {
        fail(loc(field), fmt::format("'{}' must be from {} to {} bytes, got '{}'", field.name, min, max, text));
    }
    return *value;
}

Endpoint Reader::endpoint(const Field& field) const {
    const std::string text = scalar(field, "an address");
    auto value = parse_endpoint(text);
    if (!value) {
        fail(loc(field), fmt::format("'{}' is not a valid address: '{}' (expected host:port or [ipv6]:port)",
                                     field.name, text));
    }
    return *value;
}

std::vector<YAML::Node> Reader::list(const Field& field) const {
    if (!field.value.IsSequence()) {
        fail(loc(field), fmt::format("'{}' must be a list, got {}", field.name, describe(field.value)));
    }
    return {field.value.begin(), field.value.end()};
}

Field Reader::item(const YAML::Node& node, std::string_view name) const { return Field{name, node, node}; }

std::vector<Cidr> Reader::cidrs(const Field& field) const {
    std::vector<Cidr> out;
    for (const auto& node : list(field)) {
        const Field entry = item(node, field.name);
        const std::string text = scalar(entry, "a CIDR");
        auto cidr = Cidr::parse(text);
        if (!cidr) {
            fail(loc(entry), fmt::format("'{}' entry is not a valid CIDR: '{}' (use e.g. 10.0.0.0/8, ::1/128)",
                                         field.name, text));
        }
        out.push_back(*cidr);
    }
    return out;
}

MapFields::MapFields(const Reader& reader, const Field& field, std::string section,
                     std::initializer_list<std::string_view> allowed, std::string hint)
    : reader_(reader), section_(std::move(section)), loc_(reader.loc(field)) {
    if (!field.value.IsMap()) {
        reader.fail(loc_, fmt::format("{} must be a map, got {}", section_, describe(field.value)));
    }
    for (auto it = field.value.begin(); it != field.value.end(); ++it) {
        const YAML::Node key = it->first;
        const std::string_view name = key.IsScalar() ? std::string_view(key.Scalar()) : std::string_view();
        bool known = false;
        for (auto candidate : allowed) known = known || candidate == name;
        if (!known) {
            const std::string shown = key.IsScalar() ? fmt::format("'{}'", name) : std::string(describe(key));
            reader.fail(reader.loc(key), fmt::format("unknown key {} in {} (expected one of: {}){}", shown, section_,
                                                     fmt::join(allowed, ", "), hint));
        }
        for (const auto& seen : fields_) {
            if (seen.name == name) {
                const SourceLoc first = reader.loc(seen.key);
                reader.fail(reader.loc(key), fmt::format("duplicate key '{}' in {} (first at {}:{})", name, section_,
                                                         first.line, first.column));
            }
        }
        fields_.push_back(Field{name, key, it->second});
    }
}

const Field* MapFields::find(std::string_view key) const {
    for (const auto& field : fields_) {
        if (field.name == key) return &field;
    }
    return nullptr;
}

const Field& MapFields::require(std::string_view key) const {
    if (const Field* field = find(key)) return *field;
    reader_.fail(loc_, fmt::format("{} is missing required key '{}'", section_, key));
}

}  // namespace gisgate::config::detail
