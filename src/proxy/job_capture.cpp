#include "proxy/job_capture.hpp"

#include <utility>

#include "http/chunked.hpp"
#include "util/ascii.hpp"

namespace gisgate::proxy {

void JobCapture::begin(gis::JobTable* table, const http::ResponseHead& response) {
    table_ = table;
    body_.clear();
    encoding_.clear();
    if (!table_) return;
    chunked_ = response.framing == http::BodyFraming::chunked;
    for (const auto& h : response.headers)
        if (util::iequals(h.name, "content-encoding")) encoding_.assign(h.value);
}

std::optional<std::string> JobCapture::end(bool complete, std::string_view server) {
    gis::JobTable* table = std::exchange(table_, nullptr);
    if (!table || !complete) return std::nullopt;
    const std::string body = chunked_ ? http::dechunk(body_, kMaxBody) : body_;
    auto job = gis::job_id_from_submit_response(body, encoding_);
    if (job) table->record(*job, server);
    return job;
}

}  // namespace gisgate::proxy
