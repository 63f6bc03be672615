// A bounded background load for failover tests: N client connections doing GETs until stopped or until the
// time limit, recording every failure and which site answered.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace gisgate::test {

class Load {
public:
    struct Failure {
        std::chrono::steady_clock::time_point at;
        int status;            // 0 = no response
        std::string detail;
        std::chrono::milliseconds took;
    };

    // Starts `connections` threads hitting `target` on `port`; each stops after `limit` at the latest.
    Load(int port, std::string target, int connections, std::chrono::milliseconds limit);
    ~Load();
    void stop();  // joins

    std::uint64_t ok() const { return ok_.load(); }
    std::vector<Failure> failures() const;
    std::map<std::string, std::uint64_t> sites() const;  // X-Gisgate-Sim-Site → count
    // Which site answered the most recent successful request(s) after `since`.
    std::uint64_t site_count_since(const std::string& site, std::chrono::steady_clock::time_point since) const;

private:
    void run(std::chrono::steady_clock::time_point deadline);
    int port_;
    std::string target_;
    std::atomic<bool> stop_{false};
    std::atomic<std::uint64_t> ok_{0};
    mutable std::mutex mutex_;
    std::vector<Failure> failures_;
    std::vector<std::pair<std::chrono::steady_clock::time_point, std::string>> answers_;
    std::vector<std::thread> threads_;
};

std::string describe(const std::vector<Load::Failure>& failures);

}  // namespace gisgate::test
