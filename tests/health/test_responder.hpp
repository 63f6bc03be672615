// A tiny HTTP server for the monitor tests: answers every connection on 127.0.0.1 with a configurable status
// and body, optionally after a delay (a "hanging" server), on blocking sockets in its own threads so it never
// shares the control context under test.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/read_until.hpp>

#include "net/asio.hpp"

namespace gisgate::health::testing {

class TestResponder {
public:
    TestResponder() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
        port_ = acceptor_.local_endpoint().port();
        accept_thread_ = std::thread([this] { accept_loop(); });
    }

    ~TestResponder() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        // Wakes the blocking accept().
        error_code ec;
        tcp::socket poke(io_);
        poke.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
        accept_thread_.join();
        for (auto& t : connection_threads_) t.join();
    }

    std::uint16_t port() const { return port_; }
    int connections() const { return connections_.load(); }

    void respond(int status, std::string body) {
        std::lock_guard lock(mutex_);
        status_ = status;
        body_ = std::move(body);
    }
    void delay(std::chrono::milliseconds d) {
        std::lock_guard lock(mutex_);
        delay_ = d;
    }

private:
    void accept_loop() {
        for (;;) {
            tcp::socket socket(io_);
            error_code ec;
            acceptor_.accept(socket, ec);
            std::lock_guard lock(mutex_);
            if (stopping_) return;
            if (ec) continue;
            ++connections_;
            connection_threads_.emplace_back([this, s = std::move(socket)]() mutable { serve(std::move(s)); });
        }
    }

    void serve(tcp::socket socket) {
        error_code ec;
        std::string request;
        asio::read_until(socket, asio::dynamic_buffer(request), "\r\n\r\n", ec);
        if (ec) return;
        std::string response;
        {
            std::unique_lock lock(mutex_);
            if (wake_.wait_for(lock, delay_, [this] { return stopping_; })) return;
            response = "HTTP/1.1 " + std::to_string(status_) + " Test\r\nContent-Length: " +
                       std::to_string(body_.size()) + "\r\nConnection: close\r\n\r\n" + body_;
        }
        asio::write(socket, asio::buffer(response), ec);
        socket.shutdown(tcp::socket::shutdown_both, ec);
    }

    asio::io_context io_;  // only for the blocking sockets
    tcp::acceptor acceptor_;
    std::uint16_t port_ = 0;
    std::thread accept_thread_;
    std::vector<std::thread> connection_threads_;  // under mutex_
    std::atomic<int> connections_{0};

    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    int status_ = 200;
    std::string body_ = "{\"success\":true}";
    std::chrono::milliseconds delay_{0};
};

// A loopback port with nothing listening (connections are refused).
inline std::uint16_t closed_port() {
    asio::io_context io;
    tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    return a.local_endpoint().port();
}

}  // namespace gisgate::health::testing
