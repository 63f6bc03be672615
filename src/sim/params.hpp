// Request parameters as ArcGIS reads them: query string and url-encoded form body merged into one map with
// case-insensitive names (ArcGIS accepts `F=json` as well as `f=json`), plus path splitting and decoding.
#pragma once

#include "util/ascii.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace gisgate::sim {

using util::iequals;
std::string to_lower(std::string_view s);

struct ILess {
    bool operator()(const std::string& a, const std::string& b) const;
};

using Params = std::map<std::string, std::string, ILess>;

// Percent-decoding; `plus_is_space` for query strings and form bodies (not for paths).
std::string url_decode(std::string_view s, bool plus_is_space);
// Parses `a=1&b=two` into `out`; earlier values win over later ones so the query string (parsed first)
// is not overridden by a form body.
void parse_form(std::string_view text, Params& out);
// "/a//b%20c/" -> {"a", "b c"}: empty segments dropped, each segment decoded.
std::vector<std::string> split_path(std::string_view path);

// Value of `name` or `fallback`.
std::string param(const Params& p, const std::string& name, const std::string& fallback = "");

}  // namespace gisgate::sim
