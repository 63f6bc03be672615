// `gisgate ctl rollout`: changes a pool's sites one at a time through the admin API (rollout/rollout.hpp).
//   gisgate ctl rollout --pool gis [--hook CMD] [--drain-timeout 5m] [--hook-timeout 10m] [--order a,b] [--wait]
//   gisgate ctl rollout continue [--skip-hook] [--wait]
//   gisgate ctl rollout abort
//   gisgate ctl rollout status [--json]
// With --wait the command follows the rollout, printing each step as it is logged, and exits 0 when it is
// done, 1 when it was aborted or failed (a pause is printed and waited through: `continue` or `abort` it from
// another shell; Ctrl-C stops following, not the rollout).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <thread>

#include "cli/ctl_client.hpp"

namespace gisgate::cli {

namespace {

using boost::beast::http::verb;

constexpr auto kFollowEvery = std::chrono::milliseconds(500);

struct RolloutCliOptions {
    std::string pool, hook, drain_timeout, hook_timeout, order;
    bool wait = false;
    bool json = false;
    bool skip_hook = false;
    CLI::App* rollout = nullptr;
    CLI::App* resume = nullptr;
    CLI::App* abort = nullptr;
    CLI::App* status = nullptr;
};

std::string text(const nlohmann::json& j, const char* key) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return "-";
    return it->is_string() ? it->get<std::string>() : it->dump();
}

bool paused(const std::string& state) {
    return state == "waiting" || state == "hook_failed" || state == "drift" || state == "drain_timeout" ||
           state == "blocked";
}

int exit_code_of(const std::string& state) { return state == "done" ? 0 : 1; }

void print_rollout(const nlohmann::json& r) {
    std::cout << "rollout " << text(r, "id") << " of pool " << text(r, "pool") << ": " << text(r, "state");
    if (!text(r, "message").empty() && text(r, "message") != "-") std::cout << " (" << text(r, "message") << ")";
    std::cout << "\n";
    std::vector<std::vector<std::string>> rows{{"SERVER", "STEP", "BEFORE", "MESSAGE"}};
    for (const auto& s : r.value("servers", nlohmann::json::array()))
        rows.push_back({text(s, "name"), text(s, "step"), text(s, "state_before"), text(s, "message")});
    std::vector<std::size_t> widths(4, 0);
    for (const auto& row : rows)
        for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i)
            line += i + 1 < row.size() ? row[i] + std::string(widths[i] - row[i].size() + 2, ' ') : row[i];
        std::cout << line << "\n";
    }
    for (const auto& s : r.value("servers", nlohmann::json::array())) {
        for (const auto& d : s.value("differences", nlohmann::json::array()))
            std::cout << "  " << text(s, "name") << ": " << d.get<std::string>() << "\n";
        if (s.contains("hook_output") && text(s, "step") == "hook_failed")
            std::cout << "  " << text(s, "name") << " hook output:\n" << s["hook_output"].get<std::string>() << "\n";
    }
}

// Follows the rollout until it ends, printing log lines not printed yet (`printed` of them were already).
int follow(const Target& target, nlohmann::json r, std::size_t printed) {
    std::string last_pause;
    for (;;) {
        const auto log = r.value("log", nlohmann::json::array());
        // The log keeps its last lines only; count from its end when it was cut.
        for (std::size_t i = printed < log.size() ? printed : log.size(); i < log.size(); ++i)
            std::cout << text(log[i], "time") << "  " << text(log[i], "message") << "\n";
        printed = log.size();
        const std::string state = text(r, "state");
        if (state == "done" || state == "aborted" || state == "failed") {
            std::cout << std::flush;
            return exit_code_of(state);
        }
        const std::string pause = paused(state) ? state + text(r, "current") + text(r, "message") : "";
        if (!pause.empty() && pause != last_pause)
            std::cout << "paused (" << state << "): " << text(r, "message")
                      << "\n  continue: gisgate ctl rollout continue   abort: gisgate ctl rollout abort\n";
        last_pause = pause;
        std::cout << std::flush;
        std::this_thread::sleep_for(kFollowEvery);
        r = expect_success(call(target, verb::get, "/api/v1/rollout"));
    }
}

int run_rollout(const RolloutCliOptions& o, const Target& target) {
    if (o.status->parsed()) {
        const auto r = expect_success(call(target, verb::get, "/api/v1/rollout"));
        if (o.json) std::cout << r.dump(2) << "\n";
        else print_rollout(r);
        return 0;
    }
    if (o.abort->parsed()) {
        const auto r = expect_success(call(target, verb::post, "/api/v1/rollout/abort", "{}"));
        print_rollout(r);
        return 0;
    }
    if (o.resume->parsed()) {
        const std::size_t before =
            expect_success(call(target, verb::get, "/api/v1/rollout")).value("log", nlohmann::json::array()).size();
        const nlohmann::json body = o.skip_hook ? nlohmann::json{{"skip_hook", true}} : nlohmann::json::object();
        const auto r = expect_success(call(target, verb::post, "/api/v1/rollout/continue", body.dump()));
        if (o.wait) return follow(target, r, before);
        std::cout << "rollout " << text(r, "id") << ": " << text(r, "state") << "\n";
        return 0;
    }
    if (o.pool.empty()) throw CtlError{"ctl rollout: give --pool NAME (or continue, abort, status)"};
    nlohmann::json body = {{"pool", o.pool}};
    if (!o.hook.empty()) body["hook"] = o.hook;
    if (!o.drain_timeout.empty()) body["drain_timeout"] = o.drain_timeout;
    if (!o.hook_timeout.empty()) body["hook_timeout"] = o.hook_timeout;
    if (!o.order.empty()) body["order"] = o.order;
    const auto r = expect_success(call(target, verb::post, "/api/v1/rollouts", body.dump()));
    if (o.wait) return follow(target, r, 0);
    print_rollout(r);
    return 0;
}

}  // namespace

CtlSubcommand add_ctl_rollout(CLI::App& ctl) {
    auto o = std::make_shared<RolloutCliOptions>();
    o->rollout = ctl.add_subcommand("rollout", "Change a pool's sites one at a time: drain, hook, drift check, ready");
    o->rollout->require_subcommand(0, 1);
    o->rollout->add_option("--pool", o->pool, "the pool to roll through")->type_name("POOL");
    o->rollout->add_option("--hook", o->hook,
                           "shell command run for each drained server (env GISGATE_POOL, GISGATE_SERVER, "
                           "GISGATE_ADDRESS, GISGATE_STEP; needs rollout_hooks: true in the admin: section); "
                           "without it each step waits for `continue`")
        ->type_name("CMD");
    o->rollout->add_option("--drain-timeout", o->drain_timeout, "wait this long for in-flight requests (default 5m)")
        ->type_name("DURATION");
    o->rollout->add_option("--hook-timeout", o->hook_timeout, "kill the hook after this long (default 10m)")
        ->type_name("DURATION");
    o->rollout->add_option("--order", o->order,
                           "servers to change first, in this order (default: backups, then the others, in config "
                           "order)")
        ->type_name("A,B,...");
    o->rollout->add_flag("--wait", o->wait, "follow the rollout; exit 0 when done, 1 when aborted or failed");

    o->resume = o->rollout->add_subcommand("continue", "Go on from a pause (waiting, hook_failed, drift, ...)");
    o->resume->add_flag("--skip-hook", o->skip_hook, "after hook_failed: go on to the drift check without the hook");
    o->resume->add_flag("--wait", o->wait, "follow the rollout to its end");
    o->abort = o->rollout->add_subcommand("abort", "Stop the rollout and restore the states it changed");
    o->status = o->rollout->add_subcommand("status", "Show the current or last rollout");
    o->status->add_flag("--json", o->json, "print the API's raw JSON");
    // `ctl rollout continue --admin HOST:PORT` as well as `ctl --admin HOST:PORT rollout continue`.
    for (auto* sub : o->rollout->get_subcommands({})) sub->fallthrough();

    return {o->rollout, [o](const Target& target) { return run_rollout(*o, target); }};
}

}  // namespace gisgate::cli
