// Small helpers shared by the .cpp files of tests/support (not by tests): one definition each.
#pragma once

#include <algorithm>
#include <cctype>
#include <chrono>
#include <string>

namespace gisgate::test::support {

// Milliseconds left until `deadline` for poll(): 0 when past, capped well inside int.
inline int remaining_ms(std::chrono::steady_clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

inline std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

}  // namespace gisgate::test::support
