// Test helper: a heap copy of some bytes with no slack after the last one, so that a sanitizer build flags
// any parser read past the end of its input (a std::string's substr would hide it).
#pragma once

#include <cstring>
#include <memory>
#include <string_view>

namespace gisgate::http::test {

class ExactBuffer {
public:
    explicit ExactBuffer(std::string_view s) : data_(new char[s.empty() ? 1 : s.size()]), size_(s.size()) {
        if (!s.empty()) std::memcpy(data_.get(), s.data(), s.size());
    }
    std::string_view view() const { return {data_.get(), size_}; }

private:
    std::unique_ptr<char[]> data_;
    std::size_t size_;
};

}  // namespace gisgate::http::test
