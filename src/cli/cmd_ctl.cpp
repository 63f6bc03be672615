// `gisgate ctl`: a command-line client of the admin REST API (status, health, drain/ready/maint, add, remove,
// reload; rollout in cmd_ctl_rollout.cpp).
//
// The admin address and token come from the config file's `admin:` section (-c), then GISGATE_ADMIN_TOKEN,
// then the flags, later ones winning. Requests: ctl_client.hpp (`health`: --timeout, 2 s).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/ctl_client.hpp"
#include "config/loader.hpp"
#include "http/path.hpp"
#include "net/asio.hpp"

namespace gisgate::cli {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using namespace std::chrono_literals;

struct CtlOptions {
    std::string config_path;
    std::string admin;
    std::string token;
    bool json = false;
    std::string target;  // POOL/SERVER
    std::string pool, name, address;
    std::uint32_t weight = 1;
    bool backup = false;
    bool quiet = false;
    std::string timeout = "2s";  // health

    CLI::App* status = nullptr;
    CLI::App* health = nullptr;
    CLI::App* drain = nullptr;
    CLI::App* ready = nullptr;
    CLI::App* maint = nullptr;
    CLI::App* add = nullptr;
    CLI::App* remove = nullptr;
    CLI::App* reload = nullptr;
    CLI::Option* weight_option = nullptr;
    CtlSubcommand rollout;
};

// `ctl health` exit codes (keepalived's vrrp_script counts any non-zero as a failure).
constexpr int kHealthReady = 0;
constexpr int kHealthNotReady = 1;
constexpr int kHealthUnknown = 2;  // the admin API cannot be reached or gives no readiness answer

// Pool and server names are [A-Za-z0-9._-] already; escaping the rest keeps a typo from changing the path.
std::string encode_segment(std::string_view text) { return gisgate::http::encode_path_segment(text); }

std::pair<std::string, std::string> split_pool_server(const std::string& text) {
    const auto slash = text.find('/');
    return {text.substr(0, slash), text.substr(slash + 1)};
}

Target resolve_target(const CtlOptions& o) {
    Target target;
    std::optional<config::Endpoint> endpoint;
    if (!o.config_path.empty()) {
        config::Config config;
        try {
            config = config::load_file(o.config_path);
        } catch (const config::ConfigError& e) {
            throw CtlError{e.what(), kExitConfigError, true};  // `file:line:col: message`, as `gisgate check`
        }
        if (config.admin) {
            endpoint = config.admin->bind;
            target.token = config.admin->token;
        }
    }
    if (const char* env = std::getenv("GISGATE_ADMIN_TOKEN"); env && *env) target.token = env;
    if (!o.token.empty()) target.token = o.token;
    if (!o.admin.empty()) endpoint = config::parse_endpoint(o.admin);  // checked by the option's validator
    if (!endpoint) {
        throw CtlError{o.config_path.empty() ? "no admin address: give --admin HOST:PORT or -c FILE"
                                             : o.config_path + ": no admin: section; give --admin HOST:PORT"};
    }
    // A wildcard bind is reached through loopback.
    if (endpoint->host == "0.0.0.0") endpoint->host = "127.0.0.1";
    if (endpoint->host == "::") endpoint->host = "::1";
    target.endpoint = *endpoint;
    return target;
}

// --- status table ------------------------------------------------------------------------------------------

std::string text_of(const nlohmann::json& j, const char* key, const std::string& fallback = "-") {
    if (!j.is_object()) return fallback;
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return fallback;
    if (it->is_string()) return it->get<std::string>();
    return it->dump();
}

long long number_of(const nlohmann::json& j, const char* key) {
    if (!j.is_object()) return 0;
    const auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<long long>() : 0;
}

std::string health_cell(const nlohmann::json& health) {
    if (!health.is_object()) return "-";
    if (!health.value("enabled", true)) return "off";
    std::string cell;
    const auto failures = number_of(health, "consecutive_failures");
    const bool checked = health.contains("last_check") && !health["last_check"].is_null();
    if (!checked) cell = "pending";
    else if (failures > 0) cell = "failing x" + std::to_string(failures);
    else cell = "ok " + text_of(health, "last_latency_ms", "?") + "ms";
    const auto error = text_of(health, "last_error", "");
    if (!error.empty()) cell += " (" + error + ")";
    return cell;
}

// `cluster:` nodes: one line per peer, then the warnings (a peer unreachable, a config that differs).
void print_cluster(const nlohmann::json& cluster) {
    if (!cluster.is_object()) return;
    std::cout << "cluster node " << text_of(cluster, "node") << ", config " << text_of(cluster, "config_hash") << "\n";
    for (const auto& peer : cluster.value("peers", nlohmann::json::array())) {
        const auto& change = peer.value("last_change_applied", nlohmann::json());
        std::string applied = "-";
        if (change.is_object())
            applied = text_of(change, "kind") + " " + text_of(change, "pool", "") +
                      (text_of(change, "server", "").empty() ? "" : "/" + text_of(change, "server")) + " (" +
                      text_of(change, "origin") + " #" + text_of(change, "seq") + ")";
        const auto& matches = peer.value("config_matches", nlohmann::json());
        std::cout << "peer " << text_of(peer, "name", "?") << " " << text_of(peer, "admin") << ": "
                  << (peer.value("reachable", false) ? "reachable" : "unreachable") << ", last contact "
                  << text_of(peer, "last_contact", "never") << ", last change applied " << applied << ", config "
                  << (matches.is_boolean() ? (matches.get<bool>() ? "same" : "differs") : "unknown") << "\n";
    }
    for (const auto& warning : cluster.value("warnings", nlohmann::json::array()))
        if (warning.is_string()) std::cout << "warning: " << warning.get<std::string>() << "\n";
}

void print_status(const nlohmann::json& status) {
    std::vector<std::vector<std::string>> rows{{"SERVER", "ADDRESS", "STATE", "ACTIVE", "REQUESTS", "HEALTH"}};
    std::vector<std::string> pool_lines;
    const auto pools = status.is_object() ? status.value("pools", nlohmann::json::array()) : nlohmann::json::array();
    for (const auto& pool : pools) {
        const auto pool_name = text_of(pool, "name", "?");
        pool_lines.push_back("pool " + pool_name + ": " + text_of(pool, "balance") + ", queued " +
                             std::to_string(number_of(pool, "queued")) + ", queue rejections " +
                             std::to_string(number_of(pool, "queue_rejections")));
        for (const auto& server : pool.value("servers", nlohmann::json::array())) {
            std::string address = text_of(server, "address");
            if (server.value("backup", false)) address += " (backup)";
            rows.push_back({pool_name + "/" + text_of(server, "name", "?"), address, text_of(server, "state"),
                            std::to_string(number_of(server, "active")),
                            std::to_string(number_of(server, "requests_total")),
                            health_cell(server.value("health", nlohmann::json()))});
        }
    }
    std::vector<std::size_t> widths(rows.front().size(), 0);
    for (const auto& row : rows)
        for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
        }
        std::cout << line << "\n";
    }
    for (const auto& line : pool_lines) std::cout << line << "\n";
    if (status.is_object() && status.contains("workers")) {
        std::cout << "workers " << number_of(status, "workers") << ", connections " << number_of(status, "connections")
                  << ", reloads " << number_of(status, "reloads") << ", config " << text_of(status, "config_file")
                  << "\n";
    }
    if (status.is_object() && status.contains("cluster")) print_cluster(status["cluster"]);
}

// --- commands ----------------------------------------------------------------------------------------------

// GET /api/v1/ready: 0 ready, 1 not ready (the reasons on stderr), 2 no answer. Errors are the caller's (2).
int health(const Target& target, bool quiet) {
    const HttpResult result = call(target, http::verb::get, "/api/v1/ready");
    const auto body = nlohmann::json::parse(result.body, nullptr, /*allow_exceptions=*/false);
    if ((result.status != 200 && result.status != 503) || !body.is_object() || !body.contains("ready") ||
        !body["ready"].is_boolean())
        throw CtlError{"admin API at " + target.endpoint.to_string() + ": no readiness answer (HTTP " +
                           std::to_string(result.status) + ")",
                       kHealthUnknown};
    const bool ready = body["ready"].get<bool>() && result.status == 200;
    if (!quiet) {
        if (ready) std::cout << "ready\n";
        for (const auto& reason : body.value("reasons", nlohmann::json::array()))
            std::cerr << "not ready: " << (reason.is_string() ? reason.get<std::string>() : reason.dump()) << "\n";
    }
    return ready ? kHealthReady : kHealthNotReady;
}

int run(const CtlOptions& o) {
    if (o.health->parsed()) {
        try {
            Target target = resolve_target(o);
            const auto timeout = config::parse_duration(o.timeout);  // checked by the option's validator
            target.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*timeout);
            return health(target, o.quiet);
        } catch (const CtlError& e) {
            throw CtlError{e.message, kHealthUnknown, e.located};
        }
    }
    const Target target = resolve_target(o);
    if (o.status->parsed()) {
        const auto status = expect_success(call(target, http::verb::get, "/api/v1/status"));
        if (o.json) std::cout << status.dump(2) << "\n";
        else print_status(status);
        return 0;
    }
    for (auto* sub : {o.drain, o.ready, o.maint}) {
        if (!sub->parsed()) continue;
        const auto [pool, server] = split_pool_server(o.target);
        const std::string path =
            "/api/v1/pools/" + encode_segment(pool) + "/servers/" + encode_segment(server) + "/state";
        const nlohmann::json body = {{"state", sub->get_name()}};
        expect_success(call(target, http::verb::put, path, body.dump()));
        std::cout << pool << "/" << server << ": " << sub->get_name() << "\n";
        return 0;
    }
    if (o.add->parsed()) {
        nlohmann::json body = {{"name", o.name}, {"address", o.address}};
        if (o.weight_option->count() > 0) body["weight"] = o.weight;
        if (o.backup) body["backup"] = true;
        const std::string path = "/api/v1/pools/" + encode_segment(o.pool) + "/servers";
        expect_success(call(target, http::verb::post, path, body.dump()));
        std::cout << o.pool << "/" << o.name << ": added (" << o.address << ")\n";
        return 0;
    }
    if (o.remove->parsed()) {
        const auto [pool, server] = split_pool_server(o.target);
        const std::string path = "/api/v1/pools/" + encode_segment(pool) + "/servers/" + encode_segment(server);
        expect_success(call(target, http::verb::delete_, path));
        std::cout << pool << "/" << server << ": removing (drained now, removed once its requests finish)\n";
        return 0;
    }
    if (o.rollout.app->parsed()) return o.rollout.run(target);
    if (o.reload->parsed()) {
        expect_success(call(target, http::verb::post, "/api/v1/reload", "{}"));
        std::cout << "reloaded\n";
        return 0;
    }
    return 0;  // unreachable: CLI11 requires one subcommand
}

}  // namespace

std::function<int()> add_ctl_command(CLI::App& app) {
    auto o = std::make_shared<CtlOptions>();
    auto* ctl = app.add_subcommand("ctl", "Control a running gisgate through its admin API");
    ctl->require_subcommand(1);
    ctl->add_option("-c,--config", o->config_path, "config file: admin address and token from its admin: section")
        ->type_name("FILE");
    ctl->add_option("--admin", o->admin, "admin API address HOST:PORT (overrides the config file)")
        ->check(CLI::Validator(
            [](std::string& text) {
                return config::parse_endpoint(text) ? std::string() : "not HOST:PORT ([v6]:PORT for IPv6): " + text;
            },
            ""))
        ->type_name("HOST:PORT");
    ctl->add_option("--token", o->token, "admin bearer token (default: $GISGATE_ADMIN_TOKEN, then the config file)")
        ->type_name("TOKEN");

    const CLI::Validator pool_server(
        [](std::string& text) {
            const auto slash = text.find('/');
            if (slash == std::string::npos || slash == 0 || slash + 1 == text.size() ||
                text.find('/', slash + 1) != std::string::npos)
                return "expected POOL/SERVER, got '" + text + "'";
            return std::string();
        },
        "");

    o->status = ctl->add_subcommand("status", "Show every pool's servers: state, load, health");
    o->status->add_flag("--json", o->json, "print the API's raw JSON");
    o->health = ctl->add_subcommand(
        "health", "Exit 0 if this node is ready to serve, 1 if not (reasons on stderr), 2 if the admin API gives no "
                  "answer: for keepalived's vrrp_script");
    o->health->add_flag("-q,--quiet", o->quiet, "print nothing (errors included)");
    o->health->add_option("--timeout", o->timeout, "give up (exit 2) after this long, e.g. 2s, 500ms")
        ->check(CLI::Validator(
            [](std::string& text) {
                const auto d = config::parse_duration(text);
                return d && d->count() > 0 ? std::string() : "not a positive duration: " + text;
            },
            ""))
        ->capture_default_str();
    o->drain = ctl->add_subcommand("drain", "Take a server out of rotation, letting in-flight requests finish");
    o->ready = ctl->add_subcommand("ready", "Put a drained or maintenance server back into rotation");
    o->maint = ctl->add_subcommand("maint", "Put a server into maintenance: no traffic until `ready`");
    for (auto* sub : {o->drain, o->ready, o->maint})
        sub->add_option("target", o->target, "pool and server name")
            ->required()
            ->check(pool_server)
            ->type_name("POOL/SERVER");

    o->add = ctl->add_subcommand("add", "Add a server to a pool");
    o->add->add_option("pool", o->pool, "pool name")->required()->type_name("POOL");
    o->add->add_option("name", o->name, "new server name")->required()->type_name("NAME");
    o->add->add_option("address", o->address, "server address")->required()->type_name("HOST:PORT");
    o->weight_option = o->add->add_option("--weight", o->weight, "balancing weight (0 = no traffic)");
    o->add->add_flag("--backup", o->backup, "standby server, used only while no primary is up");

    o->remove = ctl->add_subcommand("remove", "Drain a server and remove it once idle");
    o->remove->add_option("target", o->target, "pool and server name")
        ->required()
        ->check(pool_server)
        ->type_name("POOL/SERVER");

    o->reload = ctl->add_subcommand("reload", "Re-read the config file (the running config stays if it is invalid)");
    o->rollout = add_ctl_rollout(*ctl);

    // `gisgate ctl status --admin HOST:PORT` as well as `gisgate ctl --admin HOST:PORT status`.
    for (auto* sub : ctl->get_subcommands({})) sub->fallthrough();

    return [o] {
        try {
            return run(*o);
        } catch (const CtlError& e) {
            if (o->quiet) return e.code;
            if (e.located) std::cerr << e.message << "\n";
            else std::cerr << "gisgate ctl: " << e.message << "\n";
            return e.code;
        }
    };
}

}  // namespace gisgate::cli
