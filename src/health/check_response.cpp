#include "health/check_response.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "http/response_head.hpp"

namespace gisgate::health {

ResponseCollector::Status ResponseCollector::fail(std::string why) {
    error_ = std::move(why);
    status_ = Status::malformed;
    return status_;
}

ResponseCollector::Status ResponseCollector::append(std::string_view bytes) {
    if (status_ != Status::need_more) return status_;
    received_ += bytes.size();
    raw_.append(bytes);
    return head_size_ == 0 ? parse_head() : take_body();
}

ResponseCollector::Status ResponseCollector::parse_head() {
    for (;;) {
        http::ResponseHead head;
        const http::ParseResult r = http::parse_response_head(raw_, http::Method::get, kMaxHead, 100, head);
        if (r.status == http::ParseStatus::incomplete) return Status::need_more;
        if (r.status == http::ParseStatus::error) return fail(r.error ? r.error : "malformed response head");
        // Interim responses (100 Continue, 103 Early Hints) precede the real one; 101 would be a protocol
        // switch, which a health check never asks for, so it is judged as the final status.
        if (head.status >= 100 && head.status < 200 && head.status != 101) {
            raw_.erase(0, head.head_size);
            continue;
        }
        http_status_ = head.status;
        head_size_ = head.head_size;
        chunked_ = head.framing == http::BodyFraming::chunked;
        until_close_ = head.until_close;
        content_length_ = head.framing == http::BodyFraming::content_length ? head.content_length : 0;
        return take_body();
    }
}

ResponseCollector::Status ResponseCollector::take_body() {
    const std::string_view bytes = std::string_view(raw_).substr(head_size_);
    if (chunked_) {
        const http::ChunkedScanner::Result r = scanner_.feed(bytes.substr(scanned_));
        if (r.status == http::ChunkedScanner::Status::error)
            return fail(std::string("bad chunked body: ") + (r.error ? r.error : "invalid framing"));
        if (r.status == http::ChunkedScanner::Status::done) {
            body_ = http::dechunk(bytes.substr(0, scanned_ + r.consumed), max_body_);
            truncated_ = scanner_.payload_bytes() > max_body_;
            return status_ = Status::complete;
        }
        scanned_ = bytes.size();
        if (scanner_.payload_bytes() >= max_body_) {  // enough to judge; the rest is not read
            body_ = http::dechunk(bytes, max_body_);
            truncated_ = true;  // at least the cap, and the last chunk is still to come
            return status_ = Status::complete;
        }
        return Status::need_more;
    }
    if (until_close_) {
        if (bytes.size() < max_body_) return Status::need_more;
        body_ = bytes.substr(0, max_body_);
        truncated_ = true;  // a body running until close may well be exactly the cap; treated as longer
        return status_ = Status::complete;
    }
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(content_length_, max_body_));
    if (bytes.size() < want) return Status::need_more;
    body_ = bytes.substr(0, want);
    truncated_ = content_length_ > max_body_;
    return status_ = Status::complete;
}

ResponseCollector::Status ResponseCollector::end_of_stream() {
    if (status_ != Status::need_more) return status_;
    if (head_size_ == 0)
        return fail(received_ == 0 ? "connection closed before any response" : "connection closed in response head");
    if (!until_close_) return fail("connection closed before the end of the body");
    body_ = std::string_view(raw_).substr(head_size_, max_body_);
    return status_ = Status::complete;
}

std::string judge(const ResponseCollector& response, const config::HealthConfig& health) {
    if (response.http_status() != health.expect_status)
        return fmt::format("status {}, expected {}", response.http_status(), health.expect_status);
    if (!health.expect_body.empty() && response.body().find(health.expect_body) == std::string_view::npos)
        return fmt::format("body does not contain '{}'", health.expect_body);
    return {};
}

}  // namespace gisgate::health
