// libFuzzer target: the config loader on arbitrary YAML. Invariants: it either returns a Config or throws
// ConfigError with a file:line:col message (never another exception, never a crash), and a loaded config's
// effective YAML (what `gisgate check` prints) loads again to the same YAML.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/loader.hpp"
#include "fuzz_check.hpp"

using namespace gisgate::config;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 16 * 1024) return 0;  // the loader is not a hot path; keep each run fast
    const std::string text(reinterpret_cast<const char*>(data), size);
    Config config;
    try {
        config = load_string(text, "fuzz.yaml");
    } catch (const ConfigError& e) {
        const std::string what = e.what();
        FUZZ_CHECK(what.rfind("fuzz.yaml:", 0) == 0);
        FUZZ_CHECK(e.loc().line >= 0 && e.loc().column >= 0);
        return 0;
    }
    const std::string yaml = to_yaml(config);
    Config reloaded;
    try {
        reloaded = load_string(yaml, "effective.yaml");
    } catch (const ConfigError& e) {
        std::fprintf(stderr, "effective config does not load: %s\n%s\n", e.what(), yaml.c_str());
        std::abort();
    }
    FUZZ_CHECK(to_yaml(reloaded) == yaml);
    return 0;
}
