// Item ids in query strings and form bodies. Requests that never mention "itemID" (nearly all) cost one
// case-insensitive scan and no allocation; the others are split into parameters, and only the values that
// need it are percent-decoded.
#include "gis/upload_ids.hpp"

#include <algorithm>
#include <cctype>

#include "util/ascii.hpp"

namespace gisgate::gis {
namespace {

constexpr std::string_view kItemId = "itemid";
constexpr std::size_t kMaxIdLength = 128;

// Case-insensitive find of a lower-case ASCII `word` in `text` from `from`.
std::size_t ifind(std::string_view text, std::string_view word, std::size_t from = 0) {
    if (word.empty() || text.size() < word.size()) return std::string_view::npos;
    for (std::size_t i = from; i + word.size() <= text.size(); ++i) {
        if (util::ascii_lower(text[i]) != word[0]) continue;
        if (util::iequals(text.substr(i, word.size()), word)) return i;
    }
    return std::string_view::npos;
}

// application/x-www-form-urlencoded decoding: '+' is a space, %XX a byte; a '%' not followed by two hex
// digits stays as it is (as browsers and ArcGIS read it).
std::string form_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        const int hi = c == '%' && i + 2 < s.size() ? util::hex_digit_value(s[i + 1]) : -1;
        const int lo = hi >= 0 ? util::hex_digit_value(s[i + 2]) : -1;
        if (c == '+') {
            out += ' ';
        } else if (lo >= 0) {
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

void add(std::string id, std::vector<std::string>& out) {
    if (out.size() >= kMaxUploadIdsPerRequest || !valid_affinity_id(id)) return;
    if (std::find(out.begin(), out.end(), id) != out.end()) return;
    out.push_back(std::move(id));
}

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Every JSON member "itemID": "<string>" (name in any case) in `json`, found by scanning rather than parsing:
// a parameter value may be a list or a nested object, or not strictly JSON at all (ArcGIS accepts
// {itemID:'...'} too, so unquoted names and single quotes are read as well).
void ids_in_json(std::string_view json, std::vector<std::string>& out) {
    std::size_t at = 0;
    while ((at = ifind(json, kItemId, at)) != std::string_view::npos) {
        // The name must be a whole word: "myitemID" or "itemIDs" are other members.
        const bool starts_word = at == 0 || !std::isalnum(static_cast<unsigned char>(json[at - 1]));
        std::size_t i = at + kItemId.size();
        at = i;
        if (!starts_word) continue;
        if (i < json.size() && (json[i] == '"' || json[i] == '\'')) ++i;
        while (i < json.size() && is_json_space(json[i])) ++i;
        if (i >= json.size() || json[i] != ':') continue;
        ++i;
        while (i < json.size() && is_json_space(json[i])) ++i;
        if (i >= json.size() || (json[i] != '"' && json[i] != '\'')) continue;
        const char quote = json[i++];
        const std::size_t end = json.find(quote, i);
        if (end == std::string_view::npos || end - i > kMaxIdLength) continue;
        add(std::string(json.substr(i, end - i)), out);
        at = end;
    }
}

}  // namespace

bool valid_affinity_id(std::string_view id) {
    if (id.empty() || id.size() > kMaxIdLength) return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

bool mentions_item_id(std::string_view text) { return ifind(text, kItemId) != std::string_view::npos; }

void upload_ids_in_form(std::string_view text, bool cut, std::vector<std::string>& out) {
    if (text.size() > kUploadFormScanBytes) {
        text = text.substr(0, kUploadFormScanBytes);
        cut = true;
    }
    if (!mentions_item_id(text)) return;
    if (cut) {
        // The last parameter may go on beyond what was read.
        const std::size_t last = text.rfind('&');
        text = last == std::string_view::npos ? std::string_view{} : text.substr(0, last);
    }
    while (!text.empty() && out.size() < kMaxUploadIdsPerRequest) {
        const std::size_t amp = text.find('&');
        const std::string_view pair = text.substr(0, amp);
        text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
        if (!mentions_item_id(pair)) continue;
        const std::size_t eq = pair.find('=');
        if (eq == std::string_view::npos) continue;
        const std::string name = form_decode(pair.substr(0, eq));
        std::string value = form_decode(pair.substr(eq + 1));
        if (util::iequals(util::trim_ows(name), kItemId)) {
            add(std::string(util::trim_ows(value)), out);
        } else {
            ids_in_json(value, out);
        }
    }
}

}  // namespace gisgate::gis
