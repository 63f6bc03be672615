// The HTTP side of `gisgate ctl`, shared by its subcommand files (cmd_ctl.cpp, cmd_ctl_rollout.cpp): one request
// to the admin API over a private io_context with one overall deadline (10 s unless the target says otherwise),
// so an unreachable or stuck admin listener cannot hang a script.
#pragma once

#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "config/config.hpp"

namespace CLI {
class App;
}

namespace gisgate::cli {

inline constexpr std::chrono::milliseconds kRequestTimeout{std::chrono::seconds(10)};

// A failure worth one line on stderr and exit code `code`.
struct CtlError {
    std::string message;
    int code = 1;
    bool located = false;  // `file:line:col: message`, printed as it is
};

struct Target {
    config::Endpoint endpoint;
    std::string token;
    std::chrono::milliseconds timeout = kRequestTimeout;  // connect, write and read together
};

struct HttpResult {
    int status = 0;
    std::string body;
};

// One request; throws CtlError when the admin API cannot be reached or does not answer in time.
HttpResult call(const Target& target, boost::beast::http::verb method, const std::string& path,
                const std::string& body = "");

// The JSON body of a successful reply; a CtlError carrying the API's own message otherwise.
nlohmann::json expect_success(const HttpResult& result);

// A `ctl` subcommand registered from its own file: `run` is called with the admin API's address once
// parsing selected `app`.
struct CtlSubcommand {
    CLI::App* app = nullptr;
    std::function<int(const Target&)> run;
};

// `gisgate ctl rollout ...` (cmd_ctl_rollout.cpp).
CtlSubcommand add_ctl_rollout(CLI::App& ctl);

}  // namespace gisgate::cli
