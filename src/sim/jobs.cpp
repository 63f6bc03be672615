#include "sim/jobs.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace gisgate::sim {

const char* to_string(JobStatus s) {
    switch (s) {
        case JobStatus::submitted: return "esriJobSubmitted";
        case JobStatus::executing: return "esriJobExecuting";
        case JobStatus::succeeded: return "esriJobSucceeded";
        case JobStatus::cancelled: return "esriJobCancelled";
    }
    return "esriJobFailed";
}

JobStore::JobStore(std::chrono::milliseconds duration) : duration_(duration), rng_(std::random_device{}()) {}

Job JobStore::submit(const std::string& service, const std::string& task, std::map<std::string, std::string> inputs) {
    Job job;
    job.service = service;
    job.task = task;
    job.inputs = std::move(inputs);
    job.submitted = std::chrono::steady_clock::now();
    job.submitted_wall = std::chrono::system_clock::now();
    std::lock_guard lock(mutex_);
    do {
        job.id = fmt::format("j{:016x}{:016x}", rng_(), rng_());
    } while (jobs_.count(job.id));
    if (jobs_.size() >= kMaxJobs) {
        auto oldest = std::min_element(jobs_.begin(), jobs_.end(), [](const auto& a, const auto& b) {
            return a.second.submitted < b.second.submitted;
        });
        jobs_.erase(oldest);
    }
    jobs_.emplace(job.id, job);
    return job;
}

std::optional<Job> JobStore::find(const std::string& id) const {
    std::lock_guard lock(mutex_);
    auto it = jobs_.find(id);
    if (it == jobs_.end())
        return std::nullopt;
    return it->second;
}

std::optional<Job> JobStore::cancel(const std::string& id) {
    auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    auto it = jobs_.find(id);
    if (it == jobs_.end())
        return std::nullopt;
    if (!it->second.cancelled && status(it->second, now) != JobStatus::succeeded)
        it->second.cancelled = now;
    return it->second;
}

JobStatus JobStore::status(const Job& job, std::chrono::steady_clock::time_point now) const {
    // cancel() refuses finished jobs, so a cancel mark always wins.
    if (job.cancelled)
        return JobStatus::cancelled;
    auto elapsed = now - job.submitted;
    if (elapsed >= duration_)
        return JobStatus::succeeded;
    // The first quarter is spent "waiting for an instance", as a busy site shows.
    if (elapsed < duration_ / 4)
        return JobStatus::submitted;
    return JobStatus::executing;
}

std::size_t JobStore::size() const {
    std::lock_guard lock(mutex_);
    return jobs_.size();
}

}  // namespace gisgate::sim
