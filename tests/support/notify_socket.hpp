// The service manager's end of sd_notify(3) for tests: a datagram socket that gisgate's net::sd_notify sends
// to, bound to a file in the test's temp directory or to a name in the abstract namespace, and the
// NOTIFY_SOCKET variable pointing at it for as long as it lives (children started meanwhile inherit it).
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace gisgate::test {

class NotifySocket {
public:
    enum class Kind { path, abstract };
    explicit NotifySocket(Kind kind);
    ~NotifySocket();  // closes it, removes the file and restores NOTIFY_SOCKET's previous value
    NotifySocket(const NotifySocket&) = delete;
    NotifySocket& operator=(const NotifySocket&) = delete;

    const std::string& name() const { return name_; }  // NOTIFY_SOCKET's value: "/tmp/..." or "@..."
    // The next datagram, nullopt when none arrives within `timeout`.
    std::optional<std::string> receive(std::chrono::milliseconds timeout = std::chrono::seconds(20));

private:
    int fd_ = -1;
    std::string name_;
    std::optional<std::string> previous_;
};

}  // namespace gisgate::test
