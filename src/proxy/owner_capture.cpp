#include "proxy/owner_capture.hpp"

#include <utility>

#include "http/chunked.hpp"
#include "util/ascii.hpp"

namespace gisgate::proxy {

void OwnerCapture::begin(gis::JobTable* table, const http::ResponseHead& response, Created created) {
    table_ = table;
    created_ = created;
    body_.clear();
    encoding_.clear();
    if (!table_) return;
    chunked_ = response.framing == http::BodyFraming::chunked;
    for (const auto& h : response.headers)
        if (util::iequals(h.name, "content-encoding")) encoding_.assign(h.value);
}

std::optional<std::string> OwnerCapture::end(bool complete, std::string_view server) {
    gis::JobTable* table = std::exchange(table_, nullptr);
    if (!table || !complete) return std::nullopt;
    const std::string body = chunked_ ? http::dechunk(body_, kMaxBody) : body_;
    auto id = created_ == Created::job ? gis::job_id_from_submit_response(body, encoding_)
                                       : gis::item_id_from_upload_response(body, encoding_);
    if (id) table->record(*id, server);
    return id;
}

}  // namespace gisgate::proxy
