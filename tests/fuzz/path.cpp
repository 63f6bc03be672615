// libFuzzer target: path normalisation. Invariants for an accepted path: both forms are absolute, have no
// empty, "." or ".." segments, contain no NUL or control character, and normalising `forward` again changes
// nothing (one normalisation is final, so gisgate and the server see the same path).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "http/path.hpp"

using namespace gisgate::http;

namespace {

void check_clean(std::string_view p) {
    FUZZ_CHECK(!p.empty() && p.front() == '/');
    FUZZ_CHECK(p.find("//") == std::string_view::npos);
    for (char c : p) FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
    std::size_t i = 1;
    while (i <= p.size()) {
        std::size_t slash = p.find('/', i);
        if (slash == std::string_view::npos) slash = p.size();
        const std::string_view seg = p.substr(i, slash - i);
        FUZZ_CHECK(seg != "." && seg != "..");
        i = slash + 1;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view raw(reinterpret_cast<const char*>(data), size);
    static NormalizedPath out, again;
    if (normalize_path(raw, out) != PathError::none) return 0;
    check_clean(out.forward);
    FUZZ_CHECK(!out.match.empty() && out.match.front() == '/');
    FUZZ_CHECK(normalize_path(out.forward, again) == PathError::none);
    FUZZ_CHECK(again.forward == out.forward);
    FUZZ_CHECK(again.match == out.match);
    return 0;
}
