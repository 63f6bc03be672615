// PNG encoding of rendered maps (8-bit RGB), two ways:
// - compressed (deflate), for tiles, which are rendered once and cached;
// - stored (uncompressed deflate blocks, one IDAT chunk per row), for exports, which stream row by row up to
//   4096×4096 without holding the picture, cost no compression time, and keep the size the sim always had
//   (about width×height×3 bytes: the proxy in front moves a realistic volume, not a free ride).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sim/map_render.hpp"

namespace gisgate::sim {

// Length, type, data and CRC of one chunk.
std::string png_chunk(std::string_view type, std::string_view data);
// The signature and the IHDR chunk of an 8-bit RGB image.
std::string png_head(unsigned width, unsigned height);

// The whole image, compressed. When `pad_to` is larger than the PNG, a private ancillary chunk ("gsPd", which
// decoders skip) of filler brings it to exactly `pad_to` bytes.
std::string png_compressed(const MapRenderer& map, std::size_t pad_to = 0);

// The exact size of the stored PNG of a width×height image.
std::uint64_t stored_png_size(unsigned width, unsigned height);

// Produces the stored PNG of `map` piece by piece: head, one chunk per row, end.
class StoredPngWriter {
public:
    explicit StoredPngWriter(const MapRenderer& map);
    // The next piece (empty when the image is complete).
    std::string next();

private:
    const MapRenderer& map_;
    unsigned row_ = 0;
    bool started_ = false, finished_ = false;
    std::uint32_t adler_;
    std::string raw_;  // one filtered row: filter byte + width×3
};

}  // namespace gisgate::sim
