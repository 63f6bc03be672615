#include "cli/ctl_client.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <exception>

#include "net/asio.hpp"

namespace gisgate::cli {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
awaitable<void> exchange(tcp::resolver::results_type endpoints, http::request<http::string_body>& request,
                         http::response<http::string_body>& response, error_code& ec,
                         std::chrono::milliseconds timeout) {
    auto executor = co_await asio::this_coro::executor;
    beast::tcp_stream stream(executor);
    // One deadline for connect, write and read together.
    stream.expires_after(timeout);
    co_await stream.async_connect(endpoints, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    co_await http::async_write(stream, request, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    beast::flat_buffer buffer;
    co_await http::async_read(stream, buffer, response, asio::redirect_error(use_awaitable, ec));
    error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

}  // namespace

HttpResult call(const Target& target, http::verb method, const std::string& path, const std::string& body) {
    asio::io_context context;
    tcp::resolver resolver(context);
    error_code ec;
    const auto endpoints = resolver.resolve(target.endpoint.host, std::to_string(target.endpoint.port), ec);
    if (ec) throw CtlError{"cannot resolve admin address " + target.endpoint.to_string() + ": " + ec.message()};

    http::request<http::string_body> request{method, path, 11};
    request.set(http::field::host, target.endpoint.to_string());
    request.set(http::field::user_agent, "gisgate-ctl/0.1.0");
    request.set(http::field::accept, "application/json");
    if (!target.token.empty()) request.set(http::field::authorization, "Bearer " + target.token);
    if (method != http::verb::get) {
        request.set(http::field::content_type, "application/json");
        request.body() = body;
        request.prepare_payload();
    }
    request.keep_alive(false);

    http::response<http::string_body> response;
    std::exception_ptr failure;
    asio::co_spawn(context, exchange(endpoints, request, response, ec, target.timeout),
                   [&failure](std::exception_ptr e) { failure = e; });
    context.run();
    if (failure) std::rethrow_exception(failure);
    if (ec) {
        const std::string why = ec == beast::error::timeout ? "timed out" : ec.message();
        throw CtlError{"admin API at " + target.endpoint.to_string() + ": " + why};
    }
    return {static_cast<int>(response.result_int()), response.body()};
}

nlohmann::json expect_success(const HttpResult& result) {
    auto body = nlohmann::json::parse(result.body, nullptr, /*allow_exceptions=*/false);
    if (result.status >= 200 && result.status < 300) return body.is_discarded() ? nlohmann::json() : body;
    std::string message;
    if (!body.is_discarded() && body.is_object() && body.contains("error") && body["error"].is_object())
        message = body["error"].value("message", "");
    if (message.empty()) message = "HTTP " + std::to_string(result.status);
    else message += " (HTTP " + std::to_string(result.status) + ")";
    if (result.status == 401) message += "; give --token or set GISGATE_ADMIN_TOKEN";
    throw CtlError{message};
}

}  // namespace gisgate::cli
