#include "http/method.hpp"

namespace gisgate::http {

// Methods are case-sensitive (RFC 9110 §9.1): "get" is a different, unknown method.
Method method_from(std::string_view text) {
    switch (text.size()) {
        case 3:
            if (text == "GET") return Method::get;
            if (text == "PUT") return Method::put;
            break;
        case 4:
            if (text == "POST") return Method::post;
            if (text == "HEAD") return Method::head;
            break;
        case 5:
            if (text == "PATCH") return Method::patch;
            if (text == "TRACE") return Method::trace;
            break;
        case 6:
            if (text == "DELETE") return Method::del;
            break;
        case 7:
            if (text == "OPTIONS") return Method::options;
            if (text == "CONNECT") return Method::connect;
            break;
        default: break;
    }
    return Method::other;
}

bool is_case_variant_of_standard(std::string_view text) {
    char upper[7];
    if (text.size() < 3 || text.size() > sizeof upper) return false;
    for (std::size_t i = 0; i < text.size(); ++i)
        upper[i] = (text[i] >= 'a' && text[i] <= 'z') ? static_cast<char>(text[i] - 32) : text[i];
    const std::string_view up(upper, text.size());
    return up != text && method_from(up) != Method::other;
}

}  // namespace gisgate::http
