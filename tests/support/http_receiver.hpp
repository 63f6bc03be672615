// A tiny loopback HTTP server for tests that need to receive requests (alert webhooks): one thread, one
// connection at a time, answers each request with the next status of a script (then `default_status`), and
// records every request it read.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace gisgate::test {

struct ReceivedRequest {
    std::string method;
    std::string target;
    std::string content_type;
    std::string body;
    int answered = 0;  // the status sent back (0: the connection was closed without an answer)
};

class HttpReceiver {
public:
    // Listens on 127.0.0.1 (an ephemeral port unless `port` is given).
    explicit HttpReceiver(int port = 0);
    ~HttpReceiver();
    HttpReceiver(const HttpReceiver&) = delete;
    HttpReceiver& operator=(const HttpReceiver&) = delete;

    int port() const { return port_; }
    // Statuses for the next requests, in order; 0 = close the connection without answering.
    void script(std::vector<int> statuses);
    void set_default_status(int status) { default_status_ = status; }
    std::vector<ReceivedRequest> requests() const;

private:
    void run();
    void serve(int fd);

    int listen_fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> default_status_{200};
    mutable std::mutex mutex_;
    std::deque<int> script_;
    std::vector<ReceivedRequest> requests_;
    std::thread thread_;
};

}  // namespace gisgate::test
