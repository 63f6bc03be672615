#include "sim/multipart.hpp"

#include "sim/params.hpp"

namespace gisgate::sim {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

// The value of parameter `name` in a header value such as `form-data; name="file"; filename="a.tif"`.
std::optional<std::string> header_param(std::string_view value, std::string_view name) {
    std::size_t at = 0;
    while ((at = value.find(';', at)) != std::string_view::npos) {
        ++at;
        std::string_view rest = trim(value.substr(at));
        const std::size_t eq = rest.find('=');
        if (eq == std::string_view::npos || !iequals(trim(rest.substr(0, eq)), name)) continue;
        rest = trim(rest.substr(eq + 1));
        if (!rest.empty() && rest.front() == '"') {
            const std::size_t close = rest.find('"', 1);
            return std::string(rest.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
        }
        return std::string(trim(rest.substr(0, rest.find(';'))));
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string> multipart_boundary(std::string_view content_type) {
    const std::string_view type = trim(content_type.substr(0, content_type.find(';')));
    if (!iequals(type, "multipart/form-data")) return std::nullopt;
    auto boundary = header_param(content_type, "boundary");
    if (!boundary || boundary->empty() || boundary->size() > 70) return std::nullopt;  // RFC 2046's limit
    return boundary;
}

std::optional<std::vector<FormPart>> parse_multipart(std::string_view body, std::string_view boundary) {
    const std::string delimiter = "--" + std::string(boundary);
    std::size_t at = body.find(delimiter);
    if (at == std::string_view::npos) return std::nullopt;
    std::vector<FormPart> parts;
    for (;;) {
        at += delimiter.size();
        if (body.substr(at, 2) == "--") return parts;  // the closing delimiter
        if (body.substr(at, 2) != "\r\n") return std::nullopt;
        at += 2;
        const std::size_t head_end = body.find("\r\n\r\n", at);
        if (head_end == std::string_view::npos) return std::nullopt;
        FormPart part;
        std::string_view headers = body.substr(at, head_end - at);
        while (!headers.empty()) {
            const std::size_t eol = headers.find("\r\n");
            const std::string_view line = headers.substr(0, eol);
            headers = eol == std::string_view::npos ? std::string_view{} : headers.substr(eol + 2);
            const std::size_t colon = line.find(':');
            if (colon == std::string_view::npos || !iequals(trim(line.substr(0, colon)), "content-disposition"))
                continue;
            const std::string_view value = line.substr(colon + 1);
            part.name = header_param(value, "name").value_or("");
            if (auto filename = header_param(value, "filename")) {
                part.is_file = true;
                part.filename = std::move(*filename);
            }
        }
        const std::size_t data_start = head_end + 4;
        const std::size_t next = body.find("\r\n" + delimiter, data_start);
        if (next == std::string_view::npos) return std::nullopt;
        part.data = body.substr(data_start, next - data_start);
        parts.push_back(std::move(part));
        at = next + 2;
    }
}

}  // namespace gisgate::sim
