// `gisgate check`: the effective block list of each listener. deny_paths hold on the path the client sends
// and on the path a route's `rewrite` sends upstream (proxy/session.cpp), so with
// `{prefix: /server, rewrite: /arcgis}` and `deny_paths: [/arcgis/admin]` the client prefix /server/admin is
// refused too. This spells those consequences out so a user sees every client prefix that gets 403.
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"

namespace gisgate::config {

// Lines (without a leading "# ") for every http listener with deny_paths, e.g.
//   listener public: /arcgis/admin (as sent)
//   listener public: /server/admin → /arcgis/admin (route /server rewrites to /arcgis)
std::vector<std::string> deny_advice(const Config& config);

// Warnings: a listener with `path_escapes: keep` and deny_paths (the deny rules then rely on reading escaped
// separators and dot-segment parameters the way the server does).
std::vector<std::string> deny_warnings(const Config& config);

}  // namespace gisgate::config
