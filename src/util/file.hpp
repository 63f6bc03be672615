// Whole-file reading with the operating system's reason on failure (header-only, no dependencies).
#pragma once

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

namespace gisgate::util {

// Reads a whole file; nullopt with `error` set ("No such file or directory", "Is a directory") when it cannot.
// stdio rather than ifstream: it keeps errno, so the reason reaches the user.
inline std::optional<std::string> read_file(const std::string& path, std::string& error) {
    std::FILE* file = std::fopen(path.c_str(), "rb");
    if (!file) {
        error = std::strerror(errno);
        return std::nullopt;
    }
    std::string text;
    char buf[8192];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, file)) > 0) text.append(buf, n);
    const int failed = std::ferror(file) ? errno : 0;
    std::fclose(file);
    if (failed != 0) {
        error = std::strerror(failed);
        return std::nullopt;
    }
    return text;
}

}  // namespace gisgate::util
