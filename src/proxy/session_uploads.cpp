// Upload affinity: the uploaded items a request names (path, query string, the start of a form body) and the
// server that stored them (the pool's upload table, else a parallel probe of the sites). A form body is read
// ahead into the client buffer — at most gis::kUploadFormScanBytes, and never past the 64 KB block — before a
// server is chosen; those bytes stay in the buffer and go out with the head, as bytes read with the head do.
#include <spdlog/spdlog.h>

#include "gis/upload_ids.hpp"
#include "proxy/body_pace.hpp"
#include "proxy/owner_probe.hpp"
#include "proxy/session.hpp"

namespace gisgate::proxy {
namespace {

bool is_form_body(const http::RequestHead& head) {
    if (head.framing == http::BodyFraming::none) return false;
    for (const auto& h : head.headers)
        if (iequals(h.name, "content-type")) {
            const std::string_view type = util::trim_ows(h.value.substr(0, h.value.find(';')));
            return iequals(type, "application/x-www-form-urlencoded");
        }
    return false;
}

}  // namespace

bool Session::form_body_follows() const { return !request_body_.done() && is_form_body(head_); }

bool Session::may_name_uploads() const {
    return !websocket_ && gis_.kind == gis::TrafficKind::service && pool_->config().upload_affinity.enabled;
}

awaitable<Session::Attempt> Session::read_form_prefix() {
    error_code ec;
    // A client that sent Expect: 100-continue waits for it before its body; the answer comes from gisgate
    // anyway (session_forward.cpp), only earlier.
    if (head_.expect_continue && !continue_sent_ && head_.version_minor == 1) {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        deadline_.arm(runtime_->config.timeouts.idle, kClientIo);
        co_await asio::async_write(client_, asio::buffer(kContinue), ec_token(ec));
        deadline_.disarm();
        if (ec) co_return Attempt::client_gone;
        continue_sent_ = true;
    }
    BodyPace pace;  // the same slow-POST defence as for the rest of the body
    pace.start(runtime_->config.timeouts.body, runtime_->config.timeouts.body_min_rate);
    // While the body is not done every byte after the head is body: the buffer ends where the body read so far
    // ends, and new bytes go after it.
    while (!request_body_.done() && body_in_buffer_ < gis::kUploadFormScanBytes && end_ < kBlock) {
        std::size_t n = 0;
        if (const Attempt failed = co_await read_body_paced(pace, buf_.get() + end_, kBlock - end_, n);
            failed != Attempt::responded)
            co_return failed;
        const std::size_t take = request_body_.take({buf_.get() + end_, n});
        end_ += n;  // bytes beyond the body (a pipelined request) stay in the buffer after it
        body_in_buffer_ += take;
        request_bytes_ += take;
        if (request_body_.error()) {
            set_error(request_body_.error_status(), request_body_.error());
            co_return Attempt::failed;
        }
    }
    co_return Attempt::responded;
}

void Session::collect_upload_ids() {
    upload_ids_.clear();
    if (gis::valid_affinity_id(gis_.upload_id)) upload_ids_.emplace_back(gis_.upload_id);
    if (const std::size_t q = head_.target.find('?'); q != std::string_view::npos)
        gis::upload_ids_in_form(head_.target.substr(q + 1), false, upload_ids_);
    if (body_in_buffer_ == 0 || !is_form_body(head_)) return;
    const std::string_view raw(buf_.get() + begin_ + head_.head_size, body_in_buffer_);
    const bool cut = !request_body_.done();
    if (head_.framing == http::BodyFraming::chunked) {
        const std::string data = http::dechunk(raw, gis::kUploadFormScanBytes);
        gis::upload_ids_in_form(data, cut, upload_ids_);
    } else {
        gis::upload_ids_in_form(raw, cut, upload_ids_);
    }
}

awaitable<balance::ServerRuntime*> Session::find_upload_owner(gis::JobTable& uploads) {
    // Every named item the table knows first (no I/O); then the sites are asked about the first one.
    for (const std::string& id : upload_ids_) {
        const std::optional<std::string> owner = uploads.owner(id);
        if (balance::ServerRuntime* server = owner ? pool_->find_server(*owner) : nullptr) {
            pinned_id_ = id;
            co_return server;
        }
    }
    // The items of one request come from one service's Uploads, so from one site: the first id answers for all,
    // and a request naming ids no site has costs one round of probes, not one per id.
    const std::string& id = upload_ids_.front();
    if (runtime_->peers) {  // another gisgate node may have taken the upload: ask the peers first
        if (balance::ServerRuntime* server =
                co_await owner_from_peers(runtime_->peers, *pool_, uploads, cluster::OwnerKind::upload, id)) {
            pinned_id_ = id;
            co_return server;
        }
    }
    std::string probe = upload_probe_path(gis_, forward_path_, id);
    if (probe.empty()) co_return nullptr;
    balance::ServerRuntime* server =
        co_await find_owner(*pool_, std::move(probe), kUploadProbeExpect, pool_->config().health.timeout);
    if (!server) co_return nullptr;
    uploads.record(id, server->name);
    spdlog::debug("pool {}: upload item {} found on server {} by probing", pool_->name(), id, server->name);
    pinned_id_ = id;
    co_return server;
}

}  // namespace gisgate::proxy
