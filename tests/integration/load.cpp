#include "integration/load.hpp"

#include <sstream>

#include "support/http_client.hpp"

namespace gisgate::test {

Load::Load(int port, std::string target, int connections, std::chrono::milliseconds limit)
    : port_(port), target_(std::move(target)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (int i = 0; i < connections; ++i) threads_.emplace_back([this, deadline] { run(deadline); });
}

Load::~Load() { stop(); }

void Load::stop() {
    stop_ = true;
    for (auto& t : threads_)
        if (t.joinable()) t.join();
}

void Load::run(std::chrono::steady_clock::time_point deadline) {
    auto client = std::make_unique<HttpClient>(port_);
    while (!stop_ && std::chrono::steady_clock::now() < deadline) {
        const auto started = std::chrono::steady_clock::now();
        const auto r = client->request("GET", target_);
        const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
        std::lock_guard lock(mutex_);
        if (r.status == 200) {
            ++ok_;
            answers_.emplace_back(std::chrono::steady_clock::now(), r.header("X-Gisgate-Sim-Site"));
        } else {
            failures_.push_back({started, r.status, r.body.substr(0, 200), took});
        }
        // A closed connection is replaced, as a browser would; that is not a failure by itself.
        if (r.status == 0 || r.header("Connection") == "close") client = std::make_unique<HttpClient>(port_);
    }
}

std::vector<Load::Failure> Load::failures() const {
    std::lock_guard lock(mutex_);
    return failures_;
}

std::map<std::string, std::uint64_t> Load::sites() const {
    std::lock_guard lock(mutex_);
    std::map<std::string, std::uint64_t> out;
    for (const auto& [at, site] : answers_) out[site]++;
    return out;
}

std::uint64_t Load::site_count_since(const std::string& site, std::chrono::steady_clock::time_point since) const {
    std::lock_guard lock(mutex_);
    std::uint64_t n = 0;
    for (const auto& [at, s] : answers_)
        if (at >= since && s == site) ++n;
    return n;
}

std::string describe(const std::vector<Load::Failure>& failures) {
    std::ostringstream out;
    for (const auto& f : failures) out << "  status " << f.status << " after " << f.took.count() << " ms: " << f.detail << "\n";
    return out.str();
}

}  // namespace gisgate::test
