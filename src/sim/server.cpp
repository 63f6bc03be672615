// SimServer: binds, accepts, runs the connections on a small pool of event-loop threads, and stops cleanly.
//
// Stopping without leaks: every connection registers itself; stop() closes the listener, wakes requests
// queued for an instance, and posts close() to each connection's strand. Every coroutine then ends by
// itself, the io_context runs out of work and the threads return, so nothing is destroyed mid-flight.
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>

#include "sim/connection.hpp"
#include "sim/listen_address.hpp"
#include "sim/sim.hpp"
#include "sim/site.hpp"
#include "tls/certificates.hpp"
#include "util/file.hpp"

namespace gisgate::sim {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

unsigned cores() {
    return std::max(1u, std::thread::hardware_concurrency());
}

Catalog load_catalog(const SimOptions& o) {
    return o.catalog_file.empty() ? Catalog::builtin() : Catalog::load_file(o.catalog_file);
}

std::string read_pem(const std::string& path, const char* what) {
    std::string error;
    auto text = util::read_file(path, error);
    if (!text) throw std::runtime_error(std::string("sim: cannot read TLS ") + what + " " + path + ": " + error);
    return *text;
}

// The site's HTTPS context: the given certificate, or one generated for the listen address.
std::unique_ptr<asio::ssl::context> make_tls(const SimOptions& o, const tcp::endpoint& listen) {
    if (o.tls_cert_file.empty() && !o.tls_self_signed) return nullptr;
    tls::PemPair pem;
    if (o.tls_self_signed) {
        pem = tls::make_self_signed(listen.address().to_string());
    } else {
        pem.cert = read_pem(o.tls_cert_file, "certificate");
        pem.key = read_pem(o.tls_key_file, "key");
        tls::CertificateInfo info;
        std::string error = tls::check_certificate(pem.cert, info);
        if (error.empty()) error = tls::check_key(pem.key, pem.cert);
        if (!error.empty()) throw std::runtime_error("sim: TLS certificate " + o.tls_cert_file + ": " + error);
    }
    auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
    context->use_certificate_chain(asio::buffer(pem.cert));
    context->use_private_key(asio::buffer(pem.key), asio::ssl::context::pem);
    return context;
}

}  // namespace

// --instances, else the number of cores; with the CPU model and no --instances, no bound (the cores are shared).
static unsigned instance_limit(const SimOptions& options) {
    if (options.instances)
        return options.instances;
    return options.cpu_cores ? 1u << 20 : cores();
}

struct SimServer::Impl {
    explicit Impl(const SimOptions& options)
        : site(options, load_catalog(options), instance_limit(options)),
          thread_count(options.threads ? options.threads : std::min(2u, cores())),
          ioc(static_cast<int>(thread_count)),
          acceptor_strand(asio::make_strand(ioc)),
          acceptor(acceptor_strand),
          work(asio::make_work_guard(ioc)) {
        tcp::endpoint ep = resolve_listen_address(options.listen);
        try {
            acceptor.open(ep.protocol());
            acceptor.set_option(asio::socket_base::reuse_address(true));
            acceptor.bind(ep);
            acceptor.listen(asio::socket_base::max_listen_connections);
            bound = acceptor.local_endpoint();
        } catch (const boost::system::system_error& e) {
            throw std::runtime_error("sim " + options.name + ": cannot listen on " + options.listen + ": " +
                                     e.code().message());
        }
        tls = make_tls(options, ep);
        site.cpu.attach(asio::make_strand(ioc));
        asio::co_spawn(acceptor_strand, accept_loop(), asio::detached);
        running_threads = thread_count;
        for (unsigned i = 0; i < thread_count; ++i) threads.emplace_back([this] { run_thread(); });
    }

    ~Impl() { stop(); }

    void run_thread() {
        for (;;) {
            try {
                ioc.run();
                break;
            } catch (const std::exception& e) {
                spdlog::error("sim {}: event loop: {}", site.options.name, e.what());
            }
        }
        std::lock_guard lock(mutex);
        --running_threads;
        threads_done.notify_all();
    }

    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto strand = asio::make_strand(ioc);
            // A named executor, not a temporary in the co_await expression (GCC 12 destroys those twice).
            asio::any_io_executor socket_executor(strand);
            boost::system::error_code ec;
            tcp::socket socket =
                co_await acceptor.async_accept(socket_executor, asio::redirect_error(asio::use_awaitable, ec));
            if (ec) {
                if (!acceptor.is_open() || ec == asio::error::operation_aborted)
                    co_return;
                // Out of descriptors and the like: back off instead of spinning.
                spdlog::warn("sim {}: accept: {}", site.options.name, ec.message());
                asio::steady_timer pause(acceptor_strand, 50ms);
                co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
                continue;
            }
            site.connections.fetch_add(1);
            boost::system::error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);
            asio::co_spawn(strand, run_connection(std::make_shared<Connection>(std::move(socket))), asio::detached);
        }
    }

    asio::awaitable<void> run_connection(std::shared_ptr<Connection> conn) {
        {
            std::lock_guard lock(mutex);
            if (stopping) {
                conn->close();
                co_return;
            }
            connections.emplace(conn.get(), conn);
        }
        try {
            co_await serve_connection(site, *conn, tls.get());
        } catch (const std::exception& e) {
            spdlog::debug("sim {}: connection: {}", site.options.name, e.what());
        }
        conn->close();
        std::lock_guard lock(mutex);
        connections.erase(conn.get());
    }

    void stop() {
        std::vector<std::shared_ptr<Connection>> open;
        {
            std::lock_guard lock(mutex);
            if (stopping)
                return;
            stopping = true;
            for (auto& [ptr, weak] : connections)
                if (auto c = weak.lock())
                    open.push_back(std::move(c));
        }
        site.instances.shutdown();
        site.cpu.shutdown();
        asio::post(acceptor_strand, [this] {
            boost::system::error_code ec;
            acceptor.close(ec);
        });
        for (auto& c : open) asio::post(c->stream.get_executor(), [c] { c->close(); });
        open.clear();
        work.reset();
        {
            std::unique_lock lock(mutex);
            if (!threads_done.wait_for(lock, 5s, [&] { return running_threads == 0; })) {
                // Should not happen; do not hang the caller if some wait was missed.
                spdlog::warn("sim {}: connections did not finish in time; stopping the event loop", site.options.name);
                ioc.stop();
            }
        }
        for (auto& t : threads)
            if (t.joinable())
                t.join();
        site.cpu.detach();  // its timer must go before the io_context
    }

    Site site;
    unsigned thread_count;
    asio::io_context ioc;
    asio::strand<asio::io_context::executor_type> acceptor_strand;
    tcp::acceptor acceptor;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    tcp::endpoint bound;
    std::unique_ptr<asio::ssl::context> tls;  // HTTPS when set
    std::vector<std::thread> threads;

    std::mutex mutex;
    std::condition_variable threads_done;
    unsigned running_threads = 0;
    bool stopping = false;
    std::unordered_map<Connection*, std::weak_ptr<Connection>> connections;
};

SimServer::SimServer(const SimOptions& options) : impl_(std::make_unique<Impl>(options)) {}

SimServer::~SimServer() = default;

int SimServer::port() const {
    return impl_->bound.port();
}

std::string SimServer::host() const {
    return impl_->bound.address().to_string();
}

std::string SimServer::address() const {
    return format_endpoint(impl_->bound);
}

const std::string& SimServer::name() const {
    return impl_->site.options.name;
}

bool SimServer::tls() const {
    return impl_->tls != nullptr;
}

void SimServer::stop() {
    impl_->stop();
}

}  // namespace gisgate::sim
