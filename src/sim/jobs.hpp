// Asynchronous GP jobs of one site. A job's status is derived from timestamps (submitted -> executing ->
// succeeded after job_duration), so no timer runs per job and a status poll is all it takes to advance one.
// Jobs live only in this site's memory: another site (or a restart) does not know them, which is exactly
// what a load balancer must cope with.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>

namespace gisgate::sim {

enum class JobStatus { submitted, executing, succeeded, cancelled };
const char* to_string(JobStatus s);  // "esriJobSubmitted", ...

struct Job {
    std::string id;       // "j" + 32 lowercase hex digits, like ArcGIS
    std::string service;  // full service name, e.g. "Analysis/Buffer"
    std::string task;
    std::map<std::string, std::string> inputs;  // the task's input parameters as submitted
    std::chrono::steady_clock::time_point submitted;
    std::chrono::system_clock::time_point submitted_wall;
    std::optional<std::chrono::steady_clock::time_point> cancelled;
};

class JobStore {
public:
    explicit JobStore(std::chrono::milliseconds duration);

    Job submit(const std::string& service, const std::string& task, std::map<std::string, std::string> inputs);
    std::optional<Job> find(const std::string& id) const;
    // Cancels a job that has not succeeded yet; returns the job afterwards (nullopt if unknown).
    std::optional<Job> cancel(const std::string& id);
    JobStatus status(const Job& job, std::chrono::steady_clock::time_point now) const;
    JobStatus status(const Job& job) const { return status(job, std::chrono::steady_clock::now()); }
    std::size_t size() const;
    std::chrono::milliseconds duration() const { return duration_; }

private:
    // Old jobs are forgotten beyond this many, like ArcGIS's job directory cleanup, so a long benchmark does
    // not grow the sim without bound.
    static constexpr std::size_t kMaxJobs = 100000;

    std::chrono::milliseconds duration_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Job> jobs_;
    std::mt19937_64 rng_;
};

}  // namespace gisgate::sim
