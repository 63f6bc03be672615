#include "sim/image_bytes.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace gisgate::sim {

namespace {

// splitmix64: fast, and good enough that the filler does not compress (a proxy must not get a free ride).
inline std::uint64_t splitmix(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

// SOI + JFIF APP0 segment.
std::string jpg_header() {
    return std::string("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00", 20);
}

}  // namespace

std::uint64_t hash64(std::string_view s, std::uint64_t seed) {
    std::uint64_t h = seed;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

std::uint64_t ImageSpec::size() const {
    if (format != "jpg")
        return stored_png_size(width, height);
    return std::max<std::uint64_t>(std::uint64_t{width} * height, 64);
}

const char* ImageSpec::content_type() const {
    return format == "jpg" ? "image/jpeg" : "image/png";
}

ImageGenerator::ImageGenerator(const ImageSpec& spec)
    : total_(spec.size()), state_(spec.seed ^ 0x5eed5eed5eed5eedull) {
    if (spec.format == "jpg") {
        header_ = jpg_header();
        return;
    }
    MapFrame frame = spec.frame;
    frame.width = spec.width;
    frame.height = spec.height;
    map_ = std::make_unique<MapRenderer>(frame, spec.tint, spec.stamp, spec.points);
    png_ = std::make_unique<StoredPngWriter>(*map_);
}

std::size_t ImageGenerator::next(std::span<char> out) {
    if (!png_)
        return next_filler(out);
    std::size_t n = 0;
    while (n < out.size()) {
        if (piece_pos_ == piece_.size()) {
            piece_ = png_->next();
            piece_pos_ = 0;
            if (piece_.empty())
                break;
        }
        const std::size_t take = std::min(out.size() - n, piece_.size() - piece_pos_);
        std::memcpy(out.data() + n, piece_.data() + piece_pos_, take);
        piece_pos_ += take;
        n += take;
    }
    produced_ += n;
    return n;
}

std::size_t ImageGenerator::next_filler(std::span<char> out) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), total_ - produced_));
    std::size_t i = 0;
    while (produced_ + i < header_.size() && i < n) {
        out[i] = header_[produced_ + i];
        ++i;
    }
    for (; i + 8 <= n; i += 8) {
        std::uint64_t v = splitmix(state_);
        std::memcpy(out.data() + i, &v, 8);
    }
    if (i < n) {
        std::uint64_t v = splitmix(state_);
        std::memcpy(out.data() + i, &v, n - i);
    }
    produced_ += n;
    return n;
}

std::string tile_bytes(const std::string& service, unsigned z, unsigned y, unsigned x, const TileStyle& style) {
    const std::uint64_t seed = hash64(fmt::format("{}/{}/{}/{}", service, z, y, x));
    const std::size_t size = 5 * 1024 + static_cast<std::size_t>(seed % (15 * 1024));
    MapRenderer map(tile_frame(z, y, x), style.tint, {style.site, fmt::format("z{} x{} y{}", z, x, y)}, style.points);
    return png_compressed(map, size);
}
std::string tile_etag(const std::string& service, unsigned z, unsigned y, unsigned x) {
    return fmt::format("\"{:016x}\"", hash64(fmt::format("etag:{}/{}/{}/{}", service, z, y, x)));
}

}  // namespace gisgate::sim
