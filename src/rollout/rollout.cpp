// The rollout state machine. Every asynchronous step (the in-flight poll timer, a catalog read, the hook)
// completes into a handler that first checks the rollout's `epoch`: abort, continue and stop move it on, so a
// late completion of something they cancelled does nothing.
#include "rollout/rollout.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "admin/json_reply.hpp"
#include "config/loader.hpp"
#include "gis/drift_compare.hpp"
#include "proxy/observer_time.hpp"

namespace gisgate::rollout {

using nlohmann::json;
using Steady = std::chrono::steady_clock;

namespace {

constexpr std::size_t kMaxLogLines = 200;

// The rollout as a whole.
enum class State : std::uint8_t { running, waiting, hook_failed, drift, drain_timeout, blocked, done, aborted, failed };

// One server's progress.
enum class Step : std::uint8_t {
    pending, skipped, draining, hook, waiting, hook_failed, drift_check, drift, drain_timeout, blocked, done, aborted
};

const char* name_of(State s) {
    switch (s) {
        case State::running: return "running";
        case State::waiting: return "waiting";
        case State::hook_failed: return "hook_failed";
        case State::drift: return "drift";
        case State::drain_timeout: return "drain_timeout";
        case State::blocked: return "blocked";
        case State::done: return "done";
        case State::aborted: return "aborted";
        case State::failed: return "failed";
    }
    return "?";
}

const char* name_of(Step s) {
    switch (s) {
        case Step::pending: return "pending";
        case Step::skipped: return "skipped";
        case Step::draining: return "draining";
        case Step::hook: return "hook";
        case Step::waiting: return "waiting";
        case Step::hook_failed: return "hook_failed";
        case Step::drift_check: return "drift_check";
        case Step::drift: return "drift";
        case Step::drain_timeout: return "drain_timeout";
        case Step::blocked: return "blocked";
        case Step::done: return "done";
        case Step::aborted: return "aborted";
    }
    return "?";
}

bool active(State s) { return s != State::done && s != State::aborted && s != State::failed; }

admin::ApiResult api_error(int status, const std::string& message) { return {status, admin::error_body(status, message)}; }

json time_json(const std::optional<WallClock::time_point>& t) {
    return t ? json(proxy::iso_time(proxy::unix_ms(*t))) : json(nullptr);
}

std::optional<std::chrono::milliseconds> duration_field(const json& value) {
    if (value.is_number_integer() && value.get<std::int64_t>() >= 0) return std::chrono::seconds(value.get<std::int64_t>());
    if (value.is_number_float() && value.get<double>() >= 0)
        return std::chrono::milliseconds(static_cast<std::int64_t>(value.get<double>() * 1000));
    if (value.is_string()) {
        if (const auto d = config::parse_duration(value.get<std::string>()))
            return std::chrono::duration_cast<std::chrono::milliseconds>(*d);
    }
    return std::nullopt;
}

struct ServerRecord {
    std::string name;
    std::string address;
    std::string state_before;  // admin state when the rollout started
    Step step = Step::pending;
    std::optional<WallClock::time_point> started, finished;
    std::string message;
    std::vector<std::string> differences;  // the last drift check's
    std::optional<int> hook_exit;
    std::string hook_output;
    bool changed = false;  // we set it to drain and have not put it back yet
};

struct LogLine {
    WallClock::time_point time;
    std::string message;
};

}  // namespace

std::optional<Options> parse_options(const json& body, std::string& error) {
    if (!body.is_object()) {
        error = "body must be a JSON object";
        return std::nullopt;
    }
    Options o;
    const auto pool = body.find("pool");
    if (pool == body.end() || !pool->is_string() || pool->get<std::string>().empty()) {
        error = "'pool' must name a pool";
        return std::nullopt;
    }
    o.pool = pool->get<std::string>();
    if (const auto hook = body.find("hook"); hook != body.end() && !hook->is_null()) {
        if (!hook->is_string()) {
            error = "'hook' must be a shell command (a string)";
            return std::nullopt;
        }
        o.hook = hook->get<std::string>();
    }
    const std::pair<const char*, std::chrono::milliseconds*> durations[] = {{"drain_timeout", &o.drain_timeout},
                                                                            {"hook_timeout", &o.hook_timeout}};
    for (const auto& [key, field] : durations) {
        const auto value = body.find(key);
        if (value == body.end() || value->is_null()) continue;
        const auto d = duration_field(*value);
        if (!d || d->count() <= 0) {
            error = fmt::format("'{}' must be a duration above 0 (seconds, or \"30s\", \"5m\", \"500ms\")", key);
            return std::nullopt;
        }
        *field = *d;
    }
    if (const auto order = body.find("order"); order != body.end() && !order->is_null()) {
        std::vector<std::string> names;
        if (order->is_string()) {
            std::string_view rest = order->get_ref<const std::string&>();
            while (!rest.empty()) {
                const auto comma = rest.find(',');
                names.emplace_back(rest.substr(0, comma));
                if (comma == std::string_view::npos) break;
                rest.remove_prefix(comma + 1);
            }
        } else if (order->is_array()) {
            for (const auto& n : *order) {
                if (!n.is_string()) {
                    error = "'order' must be server names";
                    return std::nullopt;
                }
                names.push_back(n.get<std::string>());
            }
        } else {
            error = "'order' must be a list of server names or \"a,b,c\"";
            return std::nullopt;
        }
        std::set<std::string> seen;
        for (const auto& n : names) {
            if (n.empty() || !seen.insert(n).second) {
                error = n.empty() ? "'order' has an empty server name" : "'order' names " + n + " twice";
                return std::nullopt;
            }
        }
        o.order = std::move(names);
    }
    return o;
}

struct Rollouts::Impl : std::enable_shared_from_this<Impl> {
    Impl(asio::io_context& control, Dependencies d) : deps(std::move(d)), timer(control) {}

    Dependencies deps;
    asio::steady_timer timer;
    std::uint64_t next_id = 1;
    std::uint64_t epoch = 0;  // moved on whenever pending completions must be ignored

    // The current or last rollout.
    bool exists = false;
    std::uint64_t id = 0;
    Options options;
    State state = State::done;
    std::string message;  // why it is paused or ended
    WallClock::time_point started{};
    std::optional<WallClock::time_point> finished;
    std::vector<ServerRecord> servers;
    std::size_t current = 0;  // index into servers; servers.size() once through
    Steady::time_point drain_deadline{};
    std::deque<LogLine> log;
    std::optional<gis::Catalog> reference;
    std::string reference_server;
    std::unique_ptr<HookRun> hook;

    ServerRecord& server() { return servers[current]; }

    void note(std::string text) {
        spdlog::info("rollout {} of pool {}: {}", id, options.pool, text);
        log.push_back({WallClock::now(), std::move(text)});
        while (log.size() > kMaxLogLines) log.pop_front();
    }

    // A handler that runs only if nothing moved the rollout on meanwhile.
    template <class F>
    auto guarded(F f) {
        return [weak = weak_from_this(), at = epoch, f = std::move(f)](auto&&... args) mutable {
            const auto self = weak.lock();
            if (!self || self->epoch != at) return;
            f(*self, std::forward<decltype(args)>(args)...);
        };
    }

    void cancel_pending() {
        ++epoch;
        timer.cancel();
        hook.reset();  // kills a running hook
    }

    // The current server goes on to `step`; the rollout runs.
    ServerRecord& advance(Step step, std::string what) {
        state = State::running;
        message.clear();
        server().step = step;
        server().message = std::move(what);
        return server();
    }

    void pause(State s, Step step, std::string why) {
        state = s;
        server().step = step;
        server().message = why;
        message = why;
        note(fmt::format("{}: paused ({}): {}", server().name, name_of(s), why));
    }

    void end(State s, std::string why) {
        cancel_pending();
        state = s;
        message = why;
        finished = WallClock::now();
        note(why);
    }

    // Puts back every state this rollout changed; what could not be is named in the result.
    std::string restore() {
        std::string failures;
        for (auto& r : servers) {
            if (!r.changed) continue;
            const std::string error = deps.set_state(options.pool, r.name, r.state_before);
            if (error.empty()) {
                r.changed = false;
                note(fmt::format("{}: back to {}", r.name, r.state_before));
            } else {
                failures += (failures.empty() ? "" : "; ") + r.name + ": " + error;
            }
        }
        return failures;
    }

    void fail(const std::string& why) {
        const std::string not_restored = restore();
        if (current < servers.size()) server().message = why;
        end(State::failed, not_restored.empty() ? why : why + "; could not restore " + not_restored);
    }

    // --- the steps of one server ---------------------------------------------------------------------------

    void next_server() {
        while (current < servers.size() && server().step == Step::skipped) ++current;
        if (current == servers.size()) {
            end(State::done, fmt::format("done: {} server(s) changed", std::count_if(servers.begin(), servers.end(), [](const ServerRecord& r) {
                                             return r.step == Step::done;
                                         })));
            return;
        }
        begin_drain();
    }

    void begin_drain() {
        state = State::running;
        message.clear();
        ServerRecord& r = server();
        const auto infos = deps.servers(options.pool);
        if (!infos) return fail("pool " + options.pool + " is gone");
        std::size_t others = 0;
        bool present = false;
        for (const auto& info : *infos) {
            if (info.name == r.name) present = true;
            else if (info.serving) ++others;
        }
        if (!present) return fail("server " + r.name + " is gone from pool " + options.pool);
        if (others == 0)
            return pause(State::blocked, Step::blocked,
                         "no other server of the pool can serve now; `continue` checks again");
        const std::string error = deps.set_state(options.pool, r.name, "drain");
        if (!error.empty()) return fail(r.name + ": cannot drain: " + error);
        r.changed = true;
        r.step = Step::draining;
        r.started = WallClock::now();
        r.message.clear();
        drain_deadline = Steady::now() + options.drain_timeout;
        note(fmt::format("{}: draining ({} of {})", r.name, current + 1, servers.size()));
        // The first count after one poll interval: a worker that chose this server just before the drain has
        // counted its request by then.
        wait_and_poll();
    }

    void wait_and_poll() {
        timer.expires_after(std::min<Steady::duration>(options.poll, drain_deadline - Steady::now()));
        timer.async_wait(guarded([](Impl& self, const error_code& ec) {
            if (!ec) self.poll_in_flight();
        }));
    }

    void poll_in_flight() {
        ServerRecord& r = server();
        const std::uint64_t n = deps.in_flight(options.pool, r.name);
        if (n == 0) {
            note(r.name + ": no request in flight");
            return after_drain();
        }
        if (Steady::now() >= drain_deadline)
            return pause(State::drain_timeout, Step::drain_timeout,
                         fmt::format("{} request(s) still in flight after the drain timeout of {}; `continue` goes "
                                     "on anyway",
                                     n, config::format_duration(options.drain_timeout)));
        r.message = fmt::format("{} request(s) in flight", n);
        wait_and_poll();
    }

    void after_drain() {
        if (options.hook.empty())
            return pause(State::waiting, Step::waiting,
                         "drained; change the site, then `gisgate ctl rollout continue`");
        run_hook();
    }

    void run_hook() {
        ServerRecord& r = advance(Step::hook, "hook running");
        r.hook_exit.reset();
        r.hook_output.clear();
        HookRequest request;
        request.command = options.hook;
        request.timeout = options.hook_timeout;
        request.env = {{"GISGATE_POOL", options.pool},
                       {"GISGATE_SERVER", r.name},
                       {"GISGATE_ADDRESS", r.address},
                       {"GISGATE_STEP", std::to_string(current + 1)},
                       {"GISGATE_STEPS", std::to_string(servers.size())},
                       {"GISGATE_ROLLOUT", std::to_string(id)}};
        note(r.name + ": hook started");
        hook = deps.run_hook(std::move(request), guarded([](Impl& self, HookResult result) { self.hook_done(std::move(result)); }));
    }

    void hook_done(HookResult result) {
        hook.reset();
        ServerRecord& r = server();
        r.hook_output = std::move(result.output);
        if (result.error.empty()) r.hook_exit = result.exit_code;
        if (!result.error.empty())
            return pause(State::hook_failed, Step::hook_failed, "hook could not start: " + result.error);
        if (result.timed_out)
            return pause(State::hook_failed, Step::hook_failed,
                         "hook killed after the hook timeout of " + config::format_duration(options.hook_timeout));
        if (result.exit_code != 0)
            return pause(State::hook_failed, Step::hook_failed,
                         fmt::format("hook exited with status {}; `continue` runs it again", result.exit_code));
        note(r.name + ": hook succeeded");
        drift_check();
    }

    void drift_check() {
        ServerRecord& r = advance(Step::drift_check, "reading its catalog");
        deps.fetch_catalog(options.pool, r.name,
                           guarded([](Impl& self, std::optional<gis::Catalog> catalog, std::string error) {
                               self.catalog_read(std::move(catalog), std::move(error));
                           }));
    }

    void catalog_read(std::optional<gis::Catalog> catalog, std::string error) {
        ServerRecord& r = server();
        r.differences.clear();
        if (!catalog)
            return pause(State::drift, Step::drift,
                         "cannot read its catalog: " + error + "; `continue` reads it again");
        if (!reference) {
            reference = std::move(catalog);
            reference_server = r.name;
            note(fmt::format("{}: catalog of {} service(s) is the reference for the others", r.name,
                             reference->services.size()));
            return finish_server();
        }
        const gis::ServerDrift drift = gis::compare_with_reference(*reference, *catalog);
        if (drift.count > 0) {
            r.differences = drift.differences;
            std::string first = drift.differences.empty() ? std::string() : ": " + drift.differences.front();
            return pause(State::drift, Step::drift,
                         fmt::format("catalog differs from {}'s in {} way(s){}; `continue` checks again",
                                     reference_server, drift.count, first));
        }
        note(r.name + ": catalog matches " + reference_server + "'s");
        finish_server();
    }

    void finish_server() {
        ServerRecord& r = server();
        const std::string error = deps.set_state(options.pool, r.name, r.state_before);
        if (!error.empty()) return fail(r.name + ": cannot put it back to " + r.state_before + ": " + error);
        r.changed = false;
        r.step = Step::done;
        r.finished = WallClock::now();
        r.message = "changed";
        note(r.name + ": " + r.state_before + " again");
        ++current;
        next_server();
    }

    // --- API ----------------------------------------------------------------------------------------------

    admin::ApiResult start(Options o) {
        if (exists && active(state))
            return api_error(409, fmt::format("rollout {} of pool {} is {}; continue or abort it first", id,
                                              options.pool, name_of(state)));
        const auto infos = deps.servers(o.pool);
        if (!infos) return api_error(404, "no pool " + o.pool);
        for (const auto& n : o.order)
            if (std::none_of(infos->begin(), infos->end(), [&](const ServerInfo& s) { return s.name == n; }))
                return api_error(400, "'order': pool " + o.pool + " has no server " + n);
        const auto serving = std::count_if(infos->begin(), infos->end(), [](const ServerInfo& s) { return s.serving; });
        if (serving < 2)
            return api_error(409, fmt::format("pool {} has {} serving server(s); a rollout takes one out at a time "
                                              "and needs at least 2",
                                              o.pool, serving));
        // Order: the named ones, then backups (standbys), then the others, each in config order.
        std::vector<const ServerInfo*> ordered;
        for (const auto& n : o.order)
            for (const auto& s : *infos)
                if (s.name == n) ordered.push_back(&s);
        for (const bool backups : {true, false})
            for (const auto& s : *infos)
                if (s.backup == backups && std::find(o.order.begin(), o.order.end(), s.name) == o.order.end())
                    ordered.push_back(&s);

        cancel_pending();
        exists = true;
        id = next_id++;
        options = std::move(o);
        state = State::running;
        message.clear();
        started = WallClock::now();
        finished.reset();
        log.clear();
        reference.reset();
        reference_server.clear();
        servers.clear();
        for (const ServerInfo* s : ordered) {
            ServerRecord r;
            r.name = s->name;
            r.address = s->address;
            r.state_before = s->state;
            if (s->state != "ready" || !s->healthy) {
                r.step = Step::skipped;
                r.message = s->state != "ready" ? "skipped: " + s->state + " when the rollout started"
                                                : "skipped: down when the rollout started";
            }
            servers.push_back(std::move(r));
        }
        current = 0;
        note(fmt::format("started: {} server(s), {}", servers.size(),
                         options.hook.empty() ? "waiting for `continue` after each drain" : "hook: " + options.hook));
        for (const auto& r : servers)
            if (r.step == Step::skipped) note(r.name + ": " + r.message);
        next_server();
        return {201, to_json()};
    }

    admin::ApiResult resume(const json& body) {
        if (!exists || !active(state)) return api_error(409, "no rollout to continue");
        const auto skip = body.is_object() ? body.find("skip_hook") : body.end();
        if (skip != body.end() && !skip->is_boolean()) return api_error(400, "'skip_hook' must be true or false");
        const bool skip_hook = skip != body.end() && skip->get<bool>();
        switch (state) {
            case State::waiting:
                note(server().name + ": continued");
                drift_check();
                break;
            case State::hook_failed:
                note(server().name + (skip_hook ? ": continued without the hook" : ": running the hook again"));
                if (skip_hook) drift_check();
                else run_hook();
                break;
            case State::drift:
                note(server().name + ": checking its catalog again");
                drift_check();
                break;
            case State::drain_timeout:
                note(server().name + ": continued with requests still in flight");
                after_drain();
                break;
            case State::blocked:
                begin_drain();
                break;
            default:
                return api_error(409, fmt::format("rollout {} is {}: nothing to continue", id, name_of(state)));
        }
        return {200, to_json()};
    }

    admin::ApiResult abort() {
        if (!exists || !active(state)) return api_error(409, "no rollout to abort");
        cancel_pending();
        if (current < servers.size() && server().step != Step::pending) {
            server().step = Step::aborted;
            server().message = "aborted while " + server().message;
        }
        const std::string not_restored = restore();
        end(State::aborted, not_restored.empty() ? "aborted; states restored"
                                                 : "aborted; could not restore " + not_restored);
        return {200, to_json()};
    }

    json to_json() const {
        if (!exists) return nullptr;
        json list = json::array();
        for (const auto& r : servers) {
            json s = {{"name", r.name},
                      {"step", name_of(r.step)},
                      {"state_before", r.state_before},
                      {"started", time_json(r.started)},
                      {"finished", time_json(r.finished)},
                      {"message", r.message}};
            if (!r.differences.empty()) s["differences"] = r.differences;
            if (r.hook_exit) s["hook_exit"] = *r.hook_exit;
            if (!r.hook_output.empty()) s["hook_output"] = r.hook_output;
            list.push_back(std::move(s));
        }
        json lines = json::array();
        for (const auto& l : log) lines.push_back({{"time", proxy::iso_time(proxy::unix_ms(l.time))}, {"message", l.message}});
        return {{"id", id},
                {"pool", options.pool},
                {"state", name_of(state)},
                {"message", message},
                {"hook", options.hook.empty() ? json(nullptr) : json(options.hook)},
                {"drain_timeout", config::format_duration(options.drain_timeout)},
                {"hook_timeout", config::format_duration(options.hook_timeout)},
                {"started", time_json(started)},
                {"finished", time_json(finished)},
                {"current", active(state) && current < servers.size() ? json(servers[current].name) : json(nullptr)},
                {"reference", reference_server.empty() ? json(nullptr) : json(reference_server)},
                {"servers", std::move(list)},
                {"log", std::move(lines)}};
    }
};

Rollouts::Rollouts(asio::io_context& control, Dependencies deps)
    : impl_(std::make_shared<Impl>(control, std::move(deps))) {}

Rollouts::~Rollouts() { stop(); }

admin::ApiResult Rollouts::start(const json& body) {
    std::string error;
    auto options = parse_options(body, error);
    if (!options) return api_error(400, error);
    return impl_->start(std::move(*options));
}

admin::ApiResult Rollouts::get() const {
    if (!impl_->exists) return api_error(404, "no rollout has run since gisgate started");
    return {200, impl_->to_json()};
}

admin::ApiResult Rollouts::resume(const json& body) { return impl_->resume(body); }

admin::ApiResult Rollouts::abort() { return impl_->abort(); }

json Rollouts::to_json() const { return impl_->to_json(); }

void Rollouts::stop() { impl_->cancel_pending(); }

}  // namespace gisgate::rollout
