#include "h2/response_fields.hpp"

#include <charconv>

#include "h2/translation.hpp"
#include "util/ascii.hpp"

namespace gisgate::h2 {

void ResponseFields::start(int status, std::size_t bytes, std::size_t fields) {
    text_.clear();
    spans_.clear();
    text_.reserve(3 + bytes);
    spans_.reserve(fields);
    char digits[3] = {'0', '0', '0'};
    if (status >= 100 && status <= 999) std::to_chars(digits, digits + 3, status);
    text_.append(digits, 3);
}

void ResponseFields::add(std::string_view name, std::string_view value) {
    if (!response_field_allowed(name)) return;
    const std::size_t at = text_.size();
    text_.resize(at + name.size() + value.size());
    char* p = text_.data() + at;
    for (const char c : name) *p++ = util::ascii_lower(c);
    value.copy(p, value.size());
    spans_.push_back({static_cast<std::uint32_t>(at), static_cast<std::uint32_t>(name.size()),
                      static_cast<std::uint32_t>(at + name.size()), static_cast<std::uint32_t>(value.size())});
}

}  // namespace gisgate::h2
