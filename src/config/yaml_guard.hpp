// Reading YAML without the traps of yaml-cpp 0.7 (Debian 12), found by fuzzing the config loader
// (tests/fuzz/config.cpp): `gisgate check` and a SIGHUP reload must never hang on a file with a typo.
//
// YAML::LoadAll loops forever, allocating, when a document's first token is a flow entry (", }", or ", x" after
// a dedent ends the previous document): its parser emits an empty document without consuming the ',' and is
// asked for the next one again. load_single_document() uses YAML::Load, which reads one document, and counts
// documents with the event parser, which is asked for at most two.
#pragma once

#include <string>

#include <yaml-cpp/yaml.h>

namespace gisgate::config {

// Throws ConfigError (file:line:col) for a C0 control character other than tab, LF and CR, or DEL, which YAML
// does not allow and yaml-cpp does not check.
void reject_control_characters(const std::string& text, const std::string& name);

// The one document in `text` (a null node if there is none). Throws ConfigError when there is content after
// it (a second document, or a stray token such as ','), and lets YAML::Exception through for syntax errors.
YAML::Node load_single_document(const std::string& text, const std::string& name);

}  // namespace gisgate::config
