// Inputs that make the YAML library itself misbehave, refused before it sees them.
//
// yaml-cpp 0.7 (Debian 12) loops forever, allocating, on a document whose first token is a flow entry (',' in
// block context: ", }", ",", ", a"). Found by fuzzing the config loader (tests/fuzz/config.cpp); `gisgate check`
// and a SIGHUP reload must never hang on a file with a typo.
#pragma once

#include <string>

namespace gisgate::config {

// Throws ConfigError (file:line:col) for the patterns above; otherwise does nothing.
void reject_yaml_pitfalls(const std::string& text, const std::string& name);

}  // namespace gisgate::config
