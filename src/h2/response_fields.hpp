// A response head as a HEADERS frame carries it: the status and the fields with lower-case names, held in one
// string (no allocation per field; its capacity is reused by the next head of the stream). Fields HTTP/2 does
// not allow (connection-specific ones, RFC 9113 §8.2.2) are dropped as they are added.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gisgate::h2 {

class ResponseFields {
public:
    // Starts a head with `status` (100-999). `bytes` and `fields`: room to reserve, so that adding the fields
    // does not grow the storage step by step (a stream's first head starts from empty storage).
    void start(int status, std::size_t bytes = 0, std::size_t fields = 0);
    void add(std::string_view name, std::string_view value);

    std::string_view status() const { return std::string_view(text_).substr(0, 3); }
    std::size_t size() const { return spans_.size(); }
    std::string_view name(std::size_t i) const { return {text_.data() + spans_[i].name_at, spans_[i].name_size}; }
    std::string_view value(std::size_t i) const {
        return {text_.data() + spans_[i].value_at, spans_[i].value_size};
    }

private:
    struct Span {
        std::uint32_t name_at, name_size, value_at, value_size;
    };
    std::string text_;  // the status digits, then each field's lower-cased name and value
    std::vector<Span> spans_;
};

}  // namespace gisgate::h2
