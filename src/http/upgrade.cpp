#include "http/upgrade.hpp"

#include "util/ascii.hpp"

namespace gisgate::http {

bool list_contains(std::string_view list, std::string_view token) {
    while (!list.empty()) {
        const auto comma = list.find(',');
        if (util::iequals(util::trim_ows(list.substr(0, comma)), token)) return true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

namespace {

// Every Connection field together (a client may split the list over several fields).
template <class Head>
bool connection_names(const Head& head, std::string_view token) {
    for (const auto& h : head.headers)
        if (util::iequals(h.name, "connection") && list_contains(h.value, token)) return true;
    return false;
}

}  // namespace

UpgradeRequest upgrade_requested(const RequestHead& head) {
    std::string_view upgrade;
    std::string_view key;
    std::string_view version;
    int upgrades = 0;
    for (const auto& h : head.headers) {
        if (h.name.size() == 7 && util::iequals(h.name, "upgrade")) {
            upgrade = h.value;
            ++upgrades;
        } else if (h.name.size() == 17 && util::iequals(h.name, "sec-websocket-key")) {
            key = h.value;
        } else if (h.name.size() == 21 && util::iequals(h.name, "sec-websocket-version")) {
            version = h.value;
        }
    }
    // Upgrade is hop-by-hop: it only means something when Connection names it (RFC 9110 §7.8).
    if (upgrades == 0 || !connection_names(head, "upgrade")) return {};
    if (upgrades > 1) return {Upgrade::other, upgrade};
    if (list_contains(upgrade, "websocket")) {
        // RFC 6455 §4.1/§4.2.1: a GET over HTTP/1.1 with a 16-byte base64 key (24 characters) and version 13.
        // A body would be bytes of unknown meaning in front of the first frame.
        const bool valid = head.method == Method::get && head.version_minor == 1 && key.size() == 24 &&
                           version == "13" && head.framing == BodyFraming::none;
        return {valid ? Upgrade::websocket : Upgrade::invalid, upgrade};
    }
    if (util::iequals(util::trim_ows(upgrade), "h2c")) return {Upgrade::h2c, upgrade};
    return {Upgrade::other, upgrade};
}

bool accepts_websocket(const ResponseHead& head) {
    if (head.status != 101) return false;
    bool upgrade = false;
    for (const auto& h : head.headers)
        if (util::iequals(h.name, "upgrade") && list_contains(h.value, "websocket")) upgrade = true;
    return upgrade && connection_names(head, "upgrade");
}

}  // namespace gisgate::http
