// Which server owns which asynchronous geoprocessing job (only the site that answered submitJob knows the
// job id) — and, in a second table of the same kind, which server stored which uploaded item (only the site that
// answered uploads/upload knows the itemID). One table of each per pool, shared by all workers and kept across
// reloads; bounded in size and age. Touched only by GP job and upload traffic (their answers, and requests
// that name a job or an item), so a sharded mutex is cheap enough.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace gisgate::gis {

class JobTable {
public:
    explicit JobTable(const config::JobAffinityConfig& limits);
    ~JobTable();
    JobTable(const JobTable&) = delete;
    JobTable& operator=(const JobTable&) = delete;

    void set_limits(const config::JobAffinityConfig& limits);  // reload
    // Records (or refreshes) job → server name. Evicts the oldest entries beyond max_jobs.
    void record(std::string_view job_id, std::string_view server);
    // The owner, unless unknown or older than max_age (then it is dropped).
    std::optional<std::string> owner(std::string_view job_id);
    std::size_t size() const;

    // Replaces the steady clock that stamps and ages entries, so tests can age entries without sleeping.
    // Call before the table is shared between threads.
    using Clock = std::function<std::chrono::steady_clock::time_point()>;
    void set_clock_for_tests(Clock now);

private:
    struct Impl;
    Impl* impl_;
};

// The "jobId" of a submitJob answer: `body` is the response body as received, `content_encoding` its
// Content-Encoding header ("", "gzip", "deflate"). nullopt when it is not JSON with a string jobId (an
// ArcGIS error answer, an HTML page, a body that is too large or broken).
std::optional<std::string> job_id_from_submit_response(std::string_view body, std::string_view content_encoding);
// The item.itemID of a successful uploads/upload or uploads/register answer ({"success":true,"item":{...}}),
// read the same way.
std::optional<std::string> item_id_from_upload_response(std::string_view body, std::string_view content_encoding);

}  // namespace gisgate::gis
