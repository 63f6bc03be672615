#include "gis/token_drift.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "health/probe.hpp"

namespace gisgate::gis {

using nlohmann::json;

namespace {

constexpr std::size_t kMaxTokenBody = 64 * 1024;

std::string token_form_encode(const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out.push_back(static_cast<char>(c));
        else out += fmt::format("%{:02X}", c);
    }
    return out;
}

std::string joined_names(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
}

std::shared_ptr<health::Probe> token_probe_for(const asio::any_io_executor& executor, const CatalogRequest& request) {
    auto probe = std::make_shared<health::Probe>(executor);
    probe->set_tls(request.tls);
    if (request.cancel) {
        if (request.cancel->cancelled) probe->cancel();
        request.cancel->probes.push_back(probe);
    }
    return probe;
}

// What one server answered to generateToken: the token, or why there is none.
awaitable<bool> mint_token_at(health::Probe& probe, const CatalogRequest& request, const std::string& form, std::string& token,
                     std::string& error) {
    const std::string target = request.context + "/tokens/generateToken";
    co_await probe.post_form(request.endpoints, request.host, target, form, request.timeout, kMaxTokenBody);
    if (probe.result().outcome != health::Outcome::success) {
        error = "generateToken: " + probe.result().error;
        co_return false;
    }
    const json doc = json::parse(probe.response().body(), nullptr, false);
    if (probe.response().http_status() == 200 && doc.is_object() && doc.contains("token") && doc["token"].is_string() &&
        !doc["token"].get<std::string>().empty()) {
        token = doc["token"].get<std::string>();
        co_return true;
    }
    std::string why = fmt::format("HTTP {}", probe.response().http_status());
    if (doc.is_object() && doc.contains("error") && doc["error"].is_object()) {
        const json& e = doc["error"];
        why = e.value("message", why);
        if (e.contains("details") && e["details"].is_array() && !e["details"].empty() && e["details"][0].is_string())
            why += " (" + e["details"][0].get<std::string>() + ")";
    }
    error = "generateToken: " + why;
    co_return false;
}

// Whether a server accepts a token: anything but ArcGIS's 498/499 (in the body or as the status) counts as
// accepted; an unreachable server is `reachable = false` and counts as neither.
awaitable<bool> token_accepted_by(health::Probe& probe, const CatalogRequest& request, const std::string& token,
                        bool& reachable) {
    const std::string target = request.context + "/rest/services?f=json&token=" + token_form_encode(token);
    co_await probe.get(request.endpoints, request.host, target, request.timeout, kMaxTokenBody);
    reachable = probe.result().outcome == health::Outcome::success;
    if (!reachable) co_return false;
    const int status = probe.response().http_status();
    if (status == 498 || status == 499) co_return false;
    const json doc = json::parse(probe.response().body(), nullptr, false);
    if (doc.is_object() && doc.contains("error") && doc["error"].is_object()) {
        const json code = doc["error"].value("code", json());
        if (code == 498 || code == 499) co_return false;
    }
    co_return true;
}

}  // namespace

std::map<std::string, TokenDrift> compare_token_keys(const std::vector<std::string>& servers,
                                                     const std::map<std::string, std::string>& mint_errors,
                                                     const std::set<std::pair<std::string, std::string>>& accepted) {
    std::map<std::string, TokenDrift> out;
    if (servers.size() < 2) return out;
    std::vector<std::string> minted;
    for (const auto& s : servers)
        if (!mint_errors.count(s)) minted.push_back(s);
    // Groups of servers that accept each other's tokens (the same key), largest first.
    auto same_key = [&](const std::string& a, const std::string& b) {
        return accepted.count({a, b}) && accepted.count({b, a});
    };
    std::vector<std::vector<std::string>> groups;
    for (const auto& s : minted) {
        auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) {
            return std::all_of(g.begin(), g.end(), [&](const std::string& m) { return same_key(s, m); });
        });
        if (it == groups.end()) groups.push_back({s});
        else it->push_back(s);
    }
    std::stable_sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
    const bool tie = groups.size() >= 2 && groups[0].size() == groups[1].size();
    const bool majority = !groups.empty() && !tie && groups[0].size() * 2 > servers.size();
    const std::set<std::string> main_group = groups.empty() ? std::set<std::string>{}
                                                            : std::set<std::string>(groups[0].begin(), groups[0].end());
    for (const auto& s : servers) {
        if (auto e = mint_errors.find(s); e != mint_errors.end()) {
            if (minted.empty()) continue;  // nobody could mint: nothing to compare against (no token service?)
            out[s] = {"token service differs: " + e->second, majority};
            continue;
        }
        if (!tie && main_group.count(s)) continue;
        std::vector<std::string> refused_by, refuses;
        for (const auto& other : minted) {
            if (other == s) continue;
            if (!accepted.count({s, other})) refused_by.push_back(other);
            if (!accepted.count({other, s})) refuses.push_back(other);
        }
        if (refused_by.empty() && refuses.empty()) continue;
        std::string text = "token key differs";
        if (!refused_by.empty()) text += ": its tokens are refused by " + joined_names(refused_by);
        if (!refuses.empty()) text += std::string(refused_by.empty() ? ": " : "; ") + "it refuses the tokens of " + joined_names(refuses);
        out[s] = {text, majority};
    }
    return out;
}

awaitable<std::map<std::string, TokenDrift>> check_token_keys(std::vector<TokenCheckServer> servers, std::string username,
                                                              std::string password) {
    const auto executor = co_await asio::this_coro::executor;
    const std::string form = "username=" + token_form_encode(username) + "&password=" + token_form_encode(password) +
                             "&client=requestip&expiration=5&f=json";
    std::map<std::string, TokenDrift> none;  // a named local: no temporaries around co_await (GCC 12)
    std::map<std::string, std::string> tokens, mint_errors;
    std::vector<std::string> reachable;
    for (const auto& server : servers) {
        auto probe = token_probe_for(executor, server.request);
        std::string token, error;
        const bool ok = co_await mint_token_at(*probe, server.request, form, token, error);
        if (server.request.cancel && server.request.cancel->cancelled) co_return none;
        if (ok) tokens[server.name] = token;
        else if (probe->result().outcome != health::Outcome::success) continue;  // unreachable: not compared
        else mint_errors[server.name] = error;
        reachable.push_back(server.name);
    }
    std::set<std::pair<std::string, std::string>> accepted;
    for (const auto& [minter, token] : tokens) {
        for (const auto& server : servers) {
            if (server.name == minter || !std::count(reachable.begin(), reachable.end(), server.name)) continue;
            auto probe = token_probe_for(executor, server.request);
            bool up = false;
            const bool ok = co_await token_accepted_by(*probe, server.request, token, up);
            if (server.request.cancel && server.request.cancel->cancelled) co_return none;
            // An answer lost to the network says nothing about keys: counted as accepted, not as drift.
            if (ok || !up) accepted.insert({minter, server.name});
        }
    }
    std::map<std::string, TokenDrift> result = compare_token_keys(reachable, mint_errors, accepted);
    co_return result;
}

}  // namespace gisgate::gis
