// The id a server's answer creates, read from the body it sent (possibly compressed) so what it names can be
// pinned to that server: the jobId of a GPServer submitJob answer, the item.itemID of an uploads/upload (or
// register) answer. Any failure is "no id": the answer still goes to the client unchanged.
#include <zlib.h>

#include <nlohmann/json.hpp>

#include "gis/classify_text.hpp"
#include "gis/job_table.hpp"
#include "gis/upload_ids.hpp"

#include "util/ascii.hpp"

namespace gisgate::gis {
namespace {

// A submitJob answer is a few hundred bytes; anything this large is not one and is not worth inflating.
constexpr std::size_t kMaxBody = 1 << 20;

enum class Inflated { ok, bad_data, too_large };

// Inflates `in` into `out` (at most kMaxBody bytes). window_bits: 15 + 32 detects a gzip or zlib header,
// -15 reads raw deflate.
Inflated inflate_into(std::string_view in, int window_bits, std::string& out) {
    z_stream zs{};
    if (inflateInit2(&zs, window_bits) != Z_OK) return Inflated::bad_data;
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    out.clear();
    Inflated result = Inflated::bad_data;
    char chunk[16384];
    for (;;) {
        zs.next_out = reinterpret_cast<Bytef*>(chunk);
        zs.avail_out = sizeof chunk;
        const int rc = inflate(&zs, Z_NO_FLUSH);
        const std::size_t produced = sizeof chunk - zs.avail_out;
        if (out.size() + produced > kMaxBody) {
            result = Inflated::too_large;
            break;
        }
        out.append(chunk, produced);
        if (rc == Z_STREAM_END) {
            result = Inflated::ok;
            break;
        }
        // Z_BUF_ERROR with input left cannot happen (output space was free); without input it is a truncated
        // stream. Anything else but Z_OK is corrupt data.
        if (rc != Z_OK) break;
    }
    inflateEnd(&zs);
    return result;
}

// The answer's JSON: null when it is not JSON (or not an object), too large or in an encoding not read here.
nlohmann::json answer_json(std::string_view body, std::string_view content_encoding) {
    // zlib counts input in uInt; a body that large is refused anyway.
    if (body.size() > 64 * kMaxBody) return nullptr;
    const std::string_view encoding = util::trim_ows(content_encoding);
    std::string inflated;
    std::string_view json_text;
    if (encoding.empty() || iequals(encoding, "identity")) {
        if (body.size() > kMaxBody) return nullptr;
        json_text = body;
    } else if (iequals(encoding, "gzip") || iequals(encoding, "x-gzip")) {
        if (inflate_into(body, 15 + 32, inflated) != Inflated::ok) return nullptr;
        json_text = inflated;
    } else if (iequals(encoding, "deflate")) {
        // RFC 9110 deflate is zlib-wrapped, but some servers send raw deflate under the same name.
        Inflated r = inflate_into(body, 15 + 32, inflated);
        if (r == Inflated::bad_data) r = inflate_into(body, -15, inflated);
        if (r != Inflated::ok) return nullptr;
        json_text = inflated;
    } else {
        return nullptr;  // br, zstd, stacked codings: not worth a decoder for pinning
    }
    auto json = nlohmann::json::parse(json_text.begin(), json_text.end(), nullptr, false);
    if (!json.is_object()) return nullptr;  // also the discarded value of a parse error
    return json;
}

// A string member `name` of `object` that is a valid id (the same shape for jobs and items: it goes back into
// URLs and probe paths).
std::optional<std::string> id_member(const nlohmann::json& object, const char* name) {
    if (!object.is_object()) return std::nullopt;
    const auto it = object.find(name);
    if (it == object.end() || !it->is_string()) return std::nullopt;
    std::string id = it->get<std::string>();
    if (!valid_affinity_id(id)) return std::nullopt;
    return id;
}

}  // namespace

std::optional<std::string> job_id_from_submit_response(std::string_view body, std::string_view content_encoding) {
    return id_member(answer_json(body, content_encoding), "jobId");
}

std::optional<std::string> item_id_from_upload_response(std::string_view body, std::string_view content_encoding) {
    const nlohmann::json json = answer_json(body, content_encoding);
    // {"success":true,"item":{"itemID":"i...",...}}; a failed upload answers {"success":false} or an error.
    if (!json.is_object() || json.value("success", false) != true) return std::nullopt;
    const auto item = json.find("item");
    if (item == json.end()) return std::nullopt;
    return id_member(*item, "itemID");
}

}  // namespace gisgate::gis
