#include "sim/png.hpp"

#include <zlib.h>

#include <stdexcept>
#include <vector>

namespace gisgate::sim {

namespace {

void append_be32(std::string& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

std::uint32_t chunk_crc(std::string_view type, std::string_view data) {
    uLong crc = crc32(0, reinterpret_cast<const Bytef*>(type.data()), static_cast<uInt>(type.size()));
    return static_cast<std::uint32_t>(
        crc32(crc, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

constexpr std::size_t kChunkOverhead = 12;  // length, type, CRC

}  // namespace

std::string png_chunk(std::string_view type, std::string_view data) {
    std::string out;
    out.reserve(data.size() + kChunkOverhead);
    append_be32(out, static_cast<std::uint32_t>(data.size()));
    out.append(type);
    out.append(data);
    append_be32(out, chunk_crc(type, data));
    return out;
}

std::string png_head(unsigned width, unsigned height) {
    std::string ihdr;
    append_be32(ihdr, width);
    append_be32(ihdr, height);
    ihdr.append("\x08\x02\x00\x00\x00", 5);  // bit depth 8, colour type RGB, deflate, no filter, no interlace
    return std::string("\x89PNG\r\n\x1a\n", 8) + png_chunk("IHDR", ihdr);
}

std::string png_compressed(const MapRenderer& map, std::size_t pad_to) {
    const unsigned w = map.width(), h = map.height();
    const std::size_t stride = 1 + std::size_t{w} * 3;
    std::vector<std::uint8_t> raw(stride * h);
    std::vector<std::uint8_t> previous(std::size_t{w} * 3, 0), current(std::size_t{w} * 3);
    for (unsigned row = 0; row < h; ++row) {
        map.render_row(row, current.data());
        // Filter "Up" (the difference to the row above): a map is mostly rows like the previous one, so the
        // rows become runs of zeros that deflate well.
        std::uint8_t* out = raw.data() + row * stride;
        out[0] = 2;
        for (std::size_t i = 0; i < current.size(); ++i) out[1 + i] = static_cast<std::uint8_t>(current[i] - previous[i]);
        previous.swap(current);
    }
    uLongf packed_size = compressBound(static_cast<uLong>(raw.size()));
    std::string packed(packed_size, '\0');
    if (compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_size, raw.data(), static_cast<uLong>(raw.size()),
                  6) != Z_OK)
        throw std::runtime_error("zlib failed to compress a tile");
    packed.resize(packed_size);
    std::string png = png_head(w, h) + png_chunk("IDAT", packed);
    const std::string end = png_chunk("IEND", "");
    if (pad_to >= png.size() + end.size() + kChunkOverhead) {
        // Filler that does not compress either (a proxy gzipping it would get no free ride).
        std::string filler(pad_to - png.size() - end.size() - kChunkOverhead, '\0');
        std::uint64_t state = packed_size * 0x9E3779B97F4A7C15ull + 1;
        for (char& c : filler) {
            state ^= state << 13, state ^= state >> 7, state ^= state << 17;
            c = static_cast<char>(state);
        }
        png += png_chunk("gsPd", filler);
    }
    return png + end;
}

std::uint64_t stored_png_size(unsigned width, unsigned height) {
    // head (8 + 25); per row a chunk with a stored block header (5), the filter byte and the pixels; the zlib
    // header (2) and Adler-32 (4) ride in the first and last row chunks; IEND (12).
    return 33 + std::uint64_t{height} * (kChunkOverhead + 5 + 1 + 3ull * width) + 6 + 12;
}

StoredPngWriter::StoredPngWriter(const MapRenderer& map) : map_(map), adler_(static_cast<std::uint32_t>(adler32(0, nullptr, 0))) {
    raw_.resize(1 + std::size_t{map.width()} * 3);
}

std::string StoredPngWriter::next() {
    if (finished_)
        return {};
    if (!started_) {
        started_ = true;
        return png_head(map_.width(), map_.height());
    }
    if (row_ == map_.height()) {
        finished_ = true;
        return png_chunk("IEND", "");
    }
    raw_[0] = 0;  // filter: none
    map_.render_row(row_, reinterpret_cast<std::uint8_t*>(raw_.data() + 1));
    adler_ = static_cast<std::uint32_t>(
        adler32(adler_, reinterpret_cast<const Bytef*>(raw_.data()), static_cast<uInt>(raw_.size())));
    std::string data;
    data.reserve(raw_.size() + 11);
    if (row_ == 0)
        data.append("\x78\x01", 2);  // zlib header: deflate, 32 KiB window, no dictionary
    const bool last = row_ + 1 == map_.height();
    const auto len = static_cast<std::uint16_t>(raw_.size());  // at most 1 + 4096×3 < 65536
    data.push_back(last ? '\x01' : '\x00');  // BFINAL on the last block, BTYPE 00 (stored)
    data.push_back(static_cast<char>(len & 0xff));
    data.push_back(static_cast<char>(len >> 8));
    data.push_back(static_cast<char>(~len & 0xff));
    data.push_back(static_cast<char>((~len >> 8) & 0xff));
    data.append(raw_);
    if (last)
        append_be32(data, adler_);
    ++row_;
    return png_chunk("IDAT", data);
}

}  // namespace gisgate::sim
