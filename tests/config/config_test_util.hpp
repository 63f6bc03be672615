// Helpers for the config tests: inline YAML and assertions on ConfigError locations.
#pragma once

#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "config/loader.hpp"

namespace gisgate::config::testing {

// Raw string literals start with a newline after R"( so the YAML can begin flush left; dropping it makes line
// numbers in the test text match the ones in messages.
inline std::string yaml(std::string_view text) {
    if (!text.empty() && text.front() == '\n') text.remove_prefix(1);
    return std::string(text);
}

// The smallest complete config: one listener routing /arcgis to pool `gis` with one server, 7 lines, so a
// section appended to it starts on line 8.
constexpr const char* kOnePool = R"(
listeners:
  - name: public
    bind: 127.0.0.1:0
    routes: [{ prefix: /arcgis, pool: gis }]
pools:
  - name: gis
    servers: [{ name: a, address: 127.0.0.1:6081 }]
)";

inline Config load(std::string_view text) { return load_string(yaml(text), "test.yaml"); }

// Passes when loading `text` throws a ConfigError at line:col whose message contains `message`, and what()
// is exactly "test.yaml:LINE:COL: <message()>".
inline ::testing::AssertionResult fails_at(std::string_view text, int line, int column, std::string_view message) {
    try {
        load(text);
    } catch (const ConfigError& e) {
        const std::string expected_what =
            "test.yaml:" + std::to_string(line) + ":" + std::to_string(column) + ": " + e.message();
        if (e.loc().file != "test.yaml" || e.loc().line != line || e.loc().column != column ||
            e.message().find(message) == std::string::npos || expected_what != e.what()) {
            return ::testing::AssertionFailure() << "got: " << e.what() << "\nwanted: test.yaml:" << line << ":"
                                                 << column << ": ..." << message << "...";
        }
        return ::testing::AssertionSuccess() << e.what();
    }
    return ::testing::AssertionFailure() << "loaded without error; wanted " << line << ":" << column << " " << message;
}

}  // namespace gisgate::config::testing
