// libFuzzer target: the chunked-coding scanner. The first input byte picks a split size; the rest is the body.
// Invariants: fed whole or in pieces, the scanner reaches the same verdict at the same byte (a proxy must find
// the message end wherever the reads happen to split it), never consumes more than it is given, and a done
// body's payload never exceeds its length.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "http/chunked.hpp"

using gisgate::http::ChunkedScanner;
using Status = ChunkedScanner::Status;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t step = 1 + data[0] % 64;
    const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);

    ChunkedScanner whole;
    const auto w = whole.feed(body);
    FUZZ_CHECK(w.consumed <= body.size());
    if (w.status == Status::need_more) FUZZ_CHECK(w.consumed == body.size());
    if (w.status == Status::done) FUZZ_CHECK(whole.payload_bytes() <= w.consumed);
    if (w.status == Status::error) FUZZ_CHECK(w.error != nullptr);

    ChunkedScanner pieces;
    std::size_t pos = 0;
    Status status = Status::need_more;
    while (pos < body.size()) {
        const std::string_view piece = body.substr(pos, std::min(step, body.size() - pos));
        const auto r = pieces.feed(piece);
        FUZZ_CHECK(r.consumed <= piece.size());
        pos += r.consumed;
        status = r.status;
        if (status != Status::need_more) break;
        FUZZ_CHECK(r.consumed == piece.size());
    }
    FUZZ_CHECK(status == w.status);
    if (status == Status::done) {
        FUZZ_CHECK(pos == w.consumed);
        FUZZ_CHECK(pieces.payload_bytes() == whole.payload_bytes());
        // Once done, the scanner stays done and takes nothing more.
        const auto after = pieces.feed("0\r\n\r\n");
        FUZZ_CHECK(after.status == Status::done && after.consumed == 0);
    }
    return 0;
}
