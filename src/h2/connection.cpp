#include "h2/connection.hpp"

#include <nghttp2/nghttp2.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "proxy/error_response.hpp"

namespace gisgate::h2 {

namespace {

// Rapid Reset and control-frame floods: a connection starts with kResetBudget tokens and regains
// kResetRefillPerSecond a second. A reset costs one, a PRIORITY, PING or SETTINGS frame 1/20. A browser cancelling tiles
// while a map pans resets a few dozen streams a second; an attack resets thousands.
constexpr double kResetBudget = 400;
constexpr double kResetRefillPerSecond = 100;
constexpr double kControlFrameCost = 0.05;
// CONTINUATION frames per header block (nghttp2 1.61 chose 8 for the same CVE; 1.52 has no bound).
constexpr std::uint32_t kMaxContinuations = 16;
// The connection-level receive window: request body bytes of all streams buffered at most.
constexpr std::int32_t kConnectionWindow = 8 * 1024 * 1024;
constexpr std::size_t kReadSize = 16 * 1024;
constexpr std::size_t kWriteBatch = 64 * 1024;
// A closing connection gets this long to send its last frames (GOAWAY) to a peer that may not read.
constexpr std::chrono::seconds kClosingGrace{2};

Connection* connection_of(void* user) { return static_cast<Connection*>(user); }

// A field for nghttp2's submit functions, which copy names and values.
nghttp2_nv make_nv(std::string_view name, std::string_view value) {
    return {reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
            reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
            NGHTTP2_NV_FLAG_NONE};
}

}  // namespace

// nghttp2's callbacks, as static functions with access to the connection.
struct Connection::Callbacks {
    static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user) {
        Connection& c = *connection_of(user);
        if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST)
            c.pending_[frame->hd.stream_id] = Pending{};
        return 0;
    }

    static int on_begin_frame(nghttp2_session* session, const nghttp2_frame_hd* hd, void* user) {
        Connection& c = *connection_of(user);
        if (hd->type == NGHTTP2_CONTINUATION) {
            auto it = c.pending_.find(hd->stream_id);
            if (it != c.pending_.end() && ++it->second.continuations > kMaxContinuations) {
                spdlog::debug("h2: CONTINUATION flood: connection closed");
                nghttp2_session_terminate_session(session, NGHTTP2_ENHANCE_YOUR_CALM);
                return NGHTTP2_ERR_CALLBACK_FAILURE;
            }
        }
        return 0;
    }

    static int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name, std::size_t namelen,
                         const std::uint8_t* value, std::size_t valuelen, std::uint8_t, void* user) {
        Connection& c = *connection_of(user);
        if (frame->hd.type != NGHTTP2_HEADERS) return 0;
        auto it = c.pending_.find(frame->hd.stream_id);
        if (it == c.pending_.end()) {
            // A trailer HEADERS frame (nghttp2 has checked it has no pseudo-header and ends the stream).
            if (auto s = c.streams_by_id_.find(frame->hd.stream_id); s != c.streams_by_id_.end())
                s->second->on_request_trailer(std::string_view(reinterpret_cast<const char*>(name), namelen),
                                              std::string_view(reinterpret_cast<const char*>(value), valuelen),
                                              std::min<std::size_t>(c.settings_.max_header_list_size,
                                                                    http::ChunkedScanner::kMaxTrailerSize / 2));
            return 0;
        }
        Pending& p = it->second;
        // Past the bound, decoding goes on (the HPACK state is the connection's) but nothing more is kept: an
        // HPACK bomb costs its decoding time, never memory. The stream gets a 431.
        if (p.too_large) return 0;
        p.too_large = !add_field(p.fields, std::string_view(reinterpret_cast<const char*>(name), namelen),
                                 std::string_view(reinterpret_cast<const char*>(value), valuelen),
                                 c.settings_.max_header_list_size);
        return 0;
    }

    static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
        Connection& c = *connection_of(user);
        const std::int32_t id = frame->hd.stream_id;
        const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
        switch (frame->hd.type) {
            case NGHTTP2_HEADERS:
                if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
                    c.start_stream(id, end_stream);
                } else if (end_stream) {
                    if (auto it = c.streams_by_id_.find(id); it != c.streams_by_id_.end())
                        it->second->on_end_of_request();  // trailers end the request
                }
                break;
            case NGHTTP2_DATA:
                if (end_stream)
                    if (auto it = c.streams_by_id_.find(id); it != c.streams_by_id_.end())
                        it->second->on_end_of_request();
                break;
            case NGHTTP2_RST_STREAM:
                if (!c.spend_reset_budget(1)) return NGHTTP2_ERR_CALLBACK_FAILURE;
                break;
            case NGHTTP2_SETTINGS:
                // Each needs an ACK: a client that writes faster than it reads them would otherwise keep the
                // connection busy answering (loopback and large socket buffers absorb ~1 MB of ACKs before
                // nghttp2's bound on queued ACKs is reached). A browser sends one or two per connection.
                if (frame->hd.flags & NGHTTP2_FLAG_ACK) break;
                [[fallthrough]];
            case NGHTTP2_PRIORITY:
            case NGHTTP2_PING:
                if (!c.spend_reset_budget(kControlFrameCost)) return NGHTTP2_ERR_CALLBACK_FAILURE;
                break;
            default: break;
        }
        return 0;
    }

    static int on_data_chunk(nghttp2_session*, std::uint8_t, std::int32_t id, const std::uint8_t* data,
                             std::size_t len, void* user) {
        Connection& c = *connection_of(user);
        if (auto it = c.streams_by_id_.find(id); it != c.streams_by_id_.end()) it->second->on_data(data, len);
        else if (c.session_) nghttp2_session_consume(c.session_, id, len);  // a stream answered already
        return 0;
    }

    static int on_stream_close(nghttp2_session*, std::int32_t id, std::uint32_t, void* user) {
        Connection& c = *connection_of(user);
        c.pending_.erase(id);
        if (auto it = c.streams_by_id_.find(id); it != c.streams_by_id_.end()) {
            it->second->on_reset();  // closed before the pipeline finished with it: nothing more goes either way
            c.streams_by_id_.erase(it);
        }
        if (c.streams_by_id_.empty() && !c.ended_) c.arm_idle();
        return 0;
    }

    // A response's DATA: nghttp2 asks how much the next frame carries (read_body), then, with NO_COPY, has the
    // frame written here (send_data): its header and the bytes straight from the stream's buffer into the
    // connection's output, not through nghttp2's frame buffer first (one copy of every body byte fewer).
    static ssize_t read_body(nghttp2_session* session, std::int32_t id, std::uint8_t*, std::size_t length,
                             std::uint32_t* flags, nghttp2_data_source* source, void*) {
        auto* channel = static_cast<StreamChannel*>(source->ptr);
        bool eof = false, deferred = false;
        const std::size_t n = channel->peek_response_body(length, eof, deferred);
        if (n != 0) *flags |= NGHTTP2_DATA_FLAG_NO_COPY;
        if (eof) {
            *flags |= NGHTTP2_DATA_FLAG_EOF;
            // The server's trailers follow the body as a HEADERS frame that ends the stream (submitted from
            // here, as nghttp2_submit_trailer's documentation describes).
            if (!channel->response_trailer_lines().empty()) {
                const auto fields = response_trailers(channel->response_trailer_lines());
                if (!fields.empty()) {
                    std::vector<nghttp2_nv> nva;
                    nva.reserve(fields.size());
                    for (const auto& f : fields) nva.push_back(make_nv(f.name, f.value));
                    if (nghttp2_submit_trailer(session, id, nva.data(), nva.size()) == 0)
                        *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
                }
            }
        }
        if (deferred) return NGHTTP2_ERR_DEFERRED;
        return static_cast<ssize_t>(n);
    }

    static int send_data(nghttp2_session*, nghttp2_frame*, const std::uint8_t* framehd, std::size_t length,
                         nghttp2_data_source* source, void* user) {
        Connection& c = *connection_of(user);
        // The output holds a batch already: nghttp2 offers this frame again at the next flush (each call of
        // mem_send may go through many DATA frames, and the output stays bounded by the batch).
        if (c.write_buf_.size() >= kWriteBatch) return NGHTTP2_ERR_WOULDBLOCK;
        // The 9-byte frame header, then the data. No padding: no select_padding callback is set.
        c.write_buf_.append(reinterpret_cast<const char*>(framehd), 9);
        static_cast<StreamChannel*>(source->ptr)->send_response_body(length, c.write_buf_);
        return 0;
    }
};

Connection::Connection(net::Stream& socket, Settings settings, StreamHandler on_stream,
                       net::DeadlineList& deadlines)
    : socket_(socket),
      settings_(std::move(settings)),
      on_stream_(std::move(on_stream)),
      deadlines_(deadlines),
      wake_(socket.get_executor()),
      idle_(socket.get_executor()),
      reset_tokens_(kResetBudget),
      reset_refilled_(std::chrono::steady_clock::now()) {
    nghttp2_session_callbacks* cbs = nullptr;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, &Callbacks::on_begin_headers);
    nghttp2_session_callbacks_set_on_begin_frame_callback(cbs, &Callbacks::on_begin_frame);
    nghttp2_session_callbacks_set_on_header_callback(cbs, &Callbacks::on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &Callbacks::on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &Callbacks::on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &Callbacks::on_stream_close);
    nghttp2_session_callbacks_set_send_data_callback(cbs, &Callbacks::send_data);
    nghttp2_option* options = nullptr;
    nghttp2_option_new(&options);
    // Request DATA is acknowledged as the pipeline reads it (StreamChannel), not as it arrives.
    nghttp2_option_set_no_auto_window_update(options, 1);
    // Queued SETTINGS/PING ACKs for a peer that does not read them: nghttp2 fails the session beyond this.
    nghttp2_option_set_max_outbound_ack(options, 1000);
    nghttp2_option_set_max_settings(options, 32);
    nghttp2_session_server_new2(&session_, cbs, this, options);
    nghttp2_option_del(options);
    nghttp2_session_callbacks_del(cbs);

    const nghttp2_settings_entry entries[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, settings_.max_concurrent_streams},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, settings_.initial_window},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, settings_.max_header_list_size},
        {NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1},  // WebSocket over HTTP/2 (RFC 8441)
    };
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, entries, std::size(entries));
    nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
}

Connection::~Connection() {
    end();
    nghttp2_session_del(session_);
}

awaitable<void> Connection::run(std::string_view preread) {
    const auto executor = co_await asio::this_coro::executor;
    bool writer_running = true;
    asio::steady_timer writer_done(executor);
    asio::co_spawn(executor, write_loop(), [&](const std::exception_ptr&) {
        writer_running = false;
        writer_done.cancel();
    });
    arm_idle();
    bool healthy = true;
    if (!preread.empty())
        healthy = nghttp2_session_mem_recv(session_, reinterpret_cast<const std::uint8_t*>(preread.data()),
                                           preread.size()) >= 0;
    auto buffer = std::make_unique<std::uint8_t[]>(kReadSize);
    error_code ec;
    while (healthy && !ended_ && !closing_) {
        wake();
        const std::size_t n = co_await socket_.async_read_some(asio::buffer(buffer.get(), kReadSize), ec_token(ec));
        if (ec || ended_) break;
        const ssize_t rv = nghttp2_session_mem_recv(session_, buffer.get(), n);
        if (rv < 0) {
            spdlog::debug("h2: connection closed: {}", nghttp2_strerror(static_cast<int>(rv)));
            healthy = false;
        }
    }
    // The writer sends what is queued (a GOAWAY) and ends the connection; bounded for a peer that stops reading.
    if (!ended_) begin_closing();
    while (writer_running) {
        writer_done.expires_at(asio::steady_timer::time_point::max());
        co_await writer_done.async_wait(ec_token(ec));
    }
    end();
}

awaitable<void> Connection::write_loop() {
    error_code ec;
    while (!ended_) {
        if (!flush_to_buffer()) break;
        if (write_buf_.empty()) {
            const bool alive = nghttp2_session_want_read(session_) || nghttp2_session_want_write(session_);
            if (!alive || closing_) break;
            wake_.expires_at(asio::steady_timer::time_point::max());
            co_await wake_.async_wait(ec_token(ec));
            continue;
        }
        co_await asio::async_write(socket_, asio::buffer(write_buf_), ec_token(ec));
        write_buf_.clear();
        if (ec) break;
    }
    end();
}

bool Connection::flush_to_buffer() {
    while (write_buf_.size() < kWriteBatch) {
        const std::uint8_t* data = nullptr;
        const ssize_t n = nghttp2_session_mem_send(session_, &data);
        if (n < 0) return false;
        if (n == 0) break;
        write_buf_.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
    }
    return true;
}

void Connection::wake() { wake_.cancel(); }

void Connection::arm_idle() {
    if (!streams_by_id_.empty() || ended_) return;
    idle_.expires_after(settings_.idle_timeout);
    idle_.async_wait([this](const error_code& ec) {
        if (!ec && streams_by_id_.empty() && !ended_) shutdown();
    });
}

void Connection::shutdown() {
    if (going_away_ || ended_) return;
    going_away_ = true;
    // No new stream beyond the last one seen; those in flight finish, then nghttp2 wants neither read nor write.
    nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(session_),
                          NGHTTP2_NO_ERROR, nullptr, 0);
    wake();
}

void Connection::begin_closing() {
    if (closing_ || ended_) return;
    closing_ = true;
    wake();
    idle_.expires_after(kClosingGrace);
    idle_.async_wait([this](const error_code& ec) {
        if (!ec) end();
    });
}

void Connection::end() {
    if (ended_) return;
    ended_ = true;
    auto streams = std::move(streams_by_id_);
    streams_by_id_.clear();
    for (auto& [id, channel] : streams) channel->detach();
    pending_.clear();
    error_code ignored;
    wake_.cancel();
    idle_.cancel();
    socket_.cancel(ignored);
}

bool Connection::spend_reset_budget(double cost) {
    const auto now = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(now - reset_refilled_).count();
    reset_refilled_ = now;
    reset_tokens_ = std::min(kResetBudget, reset_tokens_ + seconds * kResetRefillPerSecond) - cost;
    if (reset_tokens_ >= 0) return true;
    spdlog::warn("h2: a client reset streams or sent control frames faster than the budget allows (Rapid Reset): "
                 "connection closed with ENHANCE_YOUR_CALM");
    nghttp2_session_terminate_session(session_, NGHTTP2_ENHANCE_YOUR_CALM);
    return false;
}

void Connection::start_stream(std::int32_t id, bool end_stream) {
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    Pending pending = std::move(it->second);
    pending_.erase(it);
    idle_.cancel();
    ++streams_;
    if (settings_.max_requests_per_connection != 0 && streams_ >= settings_.max_requests_per_connection)
        shutdown();  // this one is served; the client opens a new connection for more

    std::string head;
    RequestHeadResult r;
    if (pending.too_large) {
        r.status = 431;
        r.error = "request header fields larger than limits.max_header_size";
    } else {
        r = write_http1_request(pending.fields, !end_stream, head);
    }
    const http::Method method = http::method_from(pending.fields.method);
    auto channel = std::make_shared<StreamChannel>(*this, id, socket_.get_executor(), std::move(head), r.chunked,
                                                   method, settings_.secure, r.websocket);
    streams_by_id_[id] = channel;
    if (!r.ok) {
        // Answered here, through the same translation as a pipeline's answer.
        std::string response;
        proxy::write_error_response({r.status, r.error}, true, method == http::Method::head, response);
        channel->answer_locally(response);
        return;
    }
    if (end_stream) channel->on_end_of_request();
    on_stream_(std::move(channel));
}

void Connection::consume(std::int32_t id, std::size_t bytes) {
    if (ended_) return;
    nghttp2_session_consume(session_, id, bytes);
    wake();
}

void Connection::resume(std::int32_t id) {
    if (ended_) return;
    nghttp2_session_resume_data(session_, id);
    wake();
}

void Connection::reset(std::int32_t id, std::uint32_t error_code) {
    if (ended_) return;
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, error_code);
    wake();
}

bool Connection::submit_head(std::int32_t id, const ResponseFields& fields, bool final, bool has_body) {
    if (ended_) return false;
    // A final head's fields stay in their StreamChannel, unchanged, for as long as the stream is open, so nghttp2
    // takes them without a copy (its copy would also lower-case the names, which ResponseFields has done). An
    // interim head's are copied: the stream's next head may reuse their storage before the frame is sent.
    const std::uint8_t flags = final ? NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE
                                     : NGHTTP2_NV_FLAG_NONE;
    std::array<nghttp2_nv, 32> small;
    std::vector<nghttp2_nv> large;
    nghttp2_nv* nva = small.data();
    if (fields.size() + 1 > small.size()) {
        large.resize(fields.size() + 1);
        nva = large.data();
    }
    nva[0] = make_nv(":status", fields.status());
    nva[0].flags = flags;
    for (std::size_t i = 0; i < fields.size(); ++i) {
        nva[i + 1] = make_nv(fields.name(i), fields.value(i));
        nva[i + 1].flags = flags;
        if (fields.name(i) == settings_.unique_field) nva[i + 1].flags |= NGHTTP2_NV_FLAG_NO_INDEX;
    }
    const std::size_t count = fields.size() + 1;
    int rv = 0;
    if (!final) {
        rv = nghttp2_submit_headers(session_, NGHTTP2_FLAG_NONE, id, nullptr, nva, count, nullptr);
    } else {
        auto it = streams_by_id_.find(id);
        if (it == streams_by_id_.end()) return false;
        nghttp2_data_provider provider{};
        provider.source.ptr = it->second.get();
        provider.read_callback = &Callbacks::read_body;
        rv = nghttp2_submit_response(session_, id, nva, count, has_body ? &provider : nullptr);
    }
    wake();
    return rv == 0;
}

}  // namespace gisgate::h2
