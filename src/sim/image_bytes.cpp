#include "sim/image_bytes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace gisgate::sim {

std::uint64_t hash64(std::string_view s, std::uint64_t seed) {
    std::uint64_t h = seed;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

const char* ImageSpec::content_type() const {
    return format == "jpg" ? "image/jpeg" : "image/png";
}

ImageGenerator::ImageGenerator(const ImageSpec& spec) {
    MapFrame frame = spec.frame;
    frame.width = spec.width;
    frame.height = spec.height;
    map_ = std::make_unique<MapRenderer>(frame, spec.tint, spec.stamp, spec.points);
    if (spec.format == "jpg")
        jpeg_ = std::make_unique<JpegStreamWriter>(*map_);
    else
        png_ = std::make_unique<StoredPngWriter>(*map_);
    load_piece();
}

ImageGenerator::~ImageGenerator() = default;

void ImageGenerator::load_piece() {
    piece_ = png_ ? png_->next() : jpeg_->next();
    piece_pos_ = 0;
}

std::size_t ImageGenerator::next(std::span<char> out) {
    std::size_t n = 0;
    while (n < out.size() && !done()) {
        const std::size_t take = std::min(out.size() - n, piece_.size() - piece_pos_);
        std::memcpy(out.data() + n, piece_.data() + piece_pos_, take);
        piece_pos_ += take;
        n += take;
        if (piece_pos_ == piece_.size())
            load_piece();
    }
    return n;
}

std::string tile_bytes(const std::string& service, unsigned z, unsigned y, unsigned x, const TileStyle& style) {
    const std::uint64_t seed = hash64(fmt::format("{}/{}/{}/{}", service, z, y, x));
    const std::size_t size = 5 * 1024 + static_cast<std::size_t>(seed % (15 * 1024));
    MapRenderer map(style.web_mercator ? mercator_tile_frame(z, y, x) : tile_frame(z, y, x), style.tint, {style.site, fmt::format("z{} x{} y{}", z, x, y)}, style.points);
    return png_compressed(map, size);
}

std::string tile_etag(const std::string& service, unsigned z, unsigned y, unsigned x) {
    return fmt::format("\"{:016x}\"", hash64(fmt::format("etag:{}/{}/{}/{}", service, z, y, x)));
}

}  // namespace gisgate::sim
