// Job and upload affinity's part of a response: the answer to a submitJob names the new job, the answer to an
// uploads/upload (or register) the new item, and only the server that answered knows it (the vendor's guidance
// on asynchronous geoprocessing behind a balancer; uploads are kept in that site's own directory). Its body —
// small JSON, bounded here — is kept while it is relayed and the id recorded with that server as the owner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gis/job_table.hpp"
#include "http/response_head.hpp"

namespace gisgate::proxy {

class OwnerCapture {
public:
    static constexpr std::size_t kMaxBody = 256 * 1024;  // larger answers are not a submission's JSON

    // What the answer creates, so which member of its JSON names it.
    enum class Created : std::uint8_t { job, upload_item };

    // The response head: starts keeping the body when `table` is set (a 200 to submitJob on a pool with job
    // affinity, or to uploads/upload with upload affinity); otherwise the capture stays off for this response.
    void begin(gis::JobTable* table, const http::ResponseHead& response, Created created = Created::job);
    bool active() const { return table_ != nullptr; }
    // Raw body bytes as relayed (chunked framing included; decoded at the end).
    void append(const char* data, std::size_t n) {
        if (table_ && body_.size() + n <= kMaxBody) body_.append(data, n);
    }
    // The body ended. A complete one that names a job (an item) records it with `server` as owner; returns the id.
    std::optional<std::string> end(bool complete, std::string_view server);

private:
    gis::JobTable* table_ = nullptr;
    Created created_ = Created::job;
    bool chunked_ = false;
    std::string body_;
    std::string encoding_;  // Content-Encoding of the answer (a gzip'ed JSON is decoded to find the id)
};

}  // namespace gisgate::proxy
