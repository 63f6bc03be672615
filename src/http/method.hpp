// Request methods gisgate distinguishes (for retries, HEAD handling and logs).
#pragma once

#include <cstdint>
#include <string_view>

namespace gisgate::http {

enum class Method : std::uint8_t { get, head, post, put, del, options, patch, connect, trace, other };

Method method_from(std::string_view text);
// "get", "Head", "pOST": not a standard method (methods are case-sensitive) but one that a lenient server may
// take for it. gisgate would then disagree with that server about the message (a "head" answer has no body).
bool is_case_variant_of_standard(std::string_view text);
// GET, HEAD, OPTIONS, TRACE, PUT, DELETE are idempotent by RFC 9110; only the safe-to-replay ones matter here.
inline bool is_idempotent(Method m) {
    return m == Method::get || m == Method::head || m == Method::options || m == Method::trace ||
           m == Method::put || m == Method::del;
}

}  // namespace gisgate::http
