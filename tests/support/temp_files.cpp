// write_temp_file: one temp directory per test process (mkdtemp under /tmp), removed at exit unless
// GISGATE_KEEP_TEMP is set (then its path is printed so logs can be inspected).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <string>

#include "support/process.hpp"

namespace gisgate::test {

namespace {

struct TempDir {
    std::string path;
    pid_t owner = 0;
    TempDir() {
        char templ[] = "/tmp/gisgate-test-XXXXXX";
        if (!mkdtemp(templ))
            throw std::runtime_error("mkdtemp failed");
        path = templ;
        owner = getpid();
    }
    ~TempDir() {
        // A forked child that somehow returns must not delete the parent's files.
        if (getpid() != owner)
            return;
        if (std::getenv("GISGATE_KEEP_TEMP")) {
            std::fprintf(stderr, "test temp files kept in %s\n", path.c_str());
            return;
        }
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

}  // namespace

const std::string& temp_dir() {
    static TempDir dir;
    return dir.path;
}

std::string write_temp_file(const std::string& name, const std::string& text) {
    std::filesystem::path p = std::filesystem::path(temp_dir()) / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out)
        throw std::runtime_error("cannot write " + p.string());
    return p.string();
}

}  // namespace gisgate::test
