// YAML → validated Config. Every problem is a ConfigError whose what() reads `file:line:col: message`,
// so `gisgate check` and `gisgate run` can refuse a bad file before anything starts.
#pragma once

#include <stdexcept>
#include <string>

#include "config/config.hpp"

namespace gisgate::config {

class ConfigError : public std::runtime_error {
public:
    ConfigError(SourceLoc loc, const std::string& message);
    const SourceLoc& loc() const { return loc_; }
    const std::string& message() const { return message_; }

private:
    SourceLoc loc_;
    std::string message_;
};

// Reads and validates a config file. Throws ConfigError.
Config load_file(const std::string& path);

// Same from text; `name` is used as the file name in messages.
Config load_string(const std::string& yaml_text, const std::string& name);

// The effective config (defaults filled in) as YAML, as `gisgate check` prints it.
std::string to_yaml(const Config& config);
// Same, with the admin token replaced by "REDACTED" (still loadable), for output that may end up in logs.
std::string to_yaml(const Config& config, bool redact_secrets);

// Value parsers shared with the CLI: "30s", "500ms", "2m", "1h", "90d" (a bare number is seconds);
// "256MB", "64KB", "1GB", "1024" (bytes). nullopt when malformed.
std::optional<Duration> parse_duration(std::string_view text);
std::optional<std::uint64_t> parse_size(std::string_view text);
// The inverse of parse_duration with the largest exact unit: 120000ms → "2m", 1500ms → "1500ms", 0 → "0s".
std::string format_duration(Duration duration);
// "127.0.0.1:8080", "[::1]:8080", "localhost:80". Port 0 allowed (ephemeral, for tests).
std::optional<Endpoint> parse_endpoint(std::string_view text);

}  // namespace gisgate::config
