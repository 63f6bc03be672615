// Map images: exports streamed chunk by chunk (never the whole body in memory) and cache tiles. PNGs are real
// pictures of the sim's world (map_render.hpp): exports as stored PNGs rendered row by row (png.hpp), tiles
// compressed and padded to the size they always had. JPEGs are not rendered: a JFIF header and pseudo-random
// filler of about width×height bytes (enough for byte-volume benchmarks; a browser cannot show them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sim/map_render.hpp"
#include "sim/png.hpp"

namespace gisgate::sim {

// What an export produces: a PNG is stored_png_size(width, height) bytes (about width×height×3), a JPEG
// width×height.
struct ImageSpec {
    std::string format = "png";  // "png" or "jpg"
    unsigned width = 400;
    unsigned height = 400;
    std::uint64_t seed = 0;
    // What the PNG shows: the area (frame.width/height are set from width/height when rendering), the site's
    // colour, the stamp lines and the layer's points.
    MapFrame frame;
    std::uint32_t tint = 0x2F6FB5;
    std::vector<std::string> stamp;
    MapPoints points;

    std::uint64_t size() const;
    const char* content_type() const;
};

// The largest export a site renders per side (ArcGIS's default maxImageWidth/maxImageHeight).
constexpr unsigned kMaxImageSide = 4096;

class ImageGenerator {
public:
    explicit ImageGenerator(const ImageSpec& spec);
    // Fills up to out.size() bytes; returns how many (0 when done).
    std::size_t next(std::span<char> out);
    bool done() const { return produced_ == total_; }
    std::uint64_t total() const { return total_; }

private:
    std::size_t next_filler(std::span<char> out);

    std::string header_;
    std::uint64_t total_;
    std::uint64_t produced_ = 0;
    std::uint64_t state_;
    // PNG: the renderer and the writer over it, and the piece being copied out.
    std::unique_ptr<MapRenderer> map_;
    std::unique_ptr<StoredPngWriter> png_;
    std::string piece_;
    std::size_t piece_pos_ = 0;
};

// What a tile shows besides the world: the site's colour and name, and the service's layer points.
struct TileStyle {
    std::string site;
    std::uint32_t tint = 0x2F6FB5;
    MapPoints points;
};

// Tile z/y/x of a service: a real PNG of its area stamped with the site and z/x/y, padded to 5-20 KB (the
// size the sim's tiles always had, chosen from the tile's name), the same bytes for the same inputs.
std::string tile_bytes(const std::string& service, unsigned z, unsigned y, unsigned x, const TileStyle& style);
// The tile's strong ETag (quoted). It names the tile, not the site: every site answers the same tag, as sites
// sharing one cache directory do.
std::string tile_etag(const std::string& service, unsigned z, unsigned y, unsigned x);

// FNV-1a, for seeds derived from request parameters.
std::uint64_t hash64(std::string_view s, std::uint64_t seed = 1469598103934665603ull);

}  // namespace gisgate::sim
