// Map images: exports streamed chunk by chunk (never the whole body in memory) and cache tiles, all real
// pictures of the sim's world (map_render.hpp): PNG exports as stored PNGs rendered row by row (png.hpp), JPEG
// exports through libjpeg-turbo (jpeg.hpp), tiles compressed once and padded to the size they always had.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sim/map_render.hpp"
#include "sim/jpeg.hpp"
#include "sim/png.hpp"

namespace gisgate::sim {

// What an export produces: a PNG of exactly stored_png_size(width, height) bytes (about width×height×3), or a
// baseline JPEG (quality 75; its size depends on the picture).
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

    const char* content_type() const;
};

// The largest export a site renders per side (ArcGIS's default maxImageWidth/maxImageHeight).
constexpr unsigned kMaxImageSide = 4096;

class ImageGenerator {
public:
    explicit ImageGenerator(const ImageSpec& spec);
    ~ImageGenerator();
    // Fills up to out.size() bytes; returns how many (0 only when done).
    std::size_t next(std::span<char> out);
    // Known before the next call: the caller never writes an empty chunk (that would end a chunked body).
    bool done() const { return piece_pos_ == piece_.size(); }

private:
    void load_piece();  // the encoder's next piece into piece_ (empty at the end)

    std::unique_ptr<MapRenderer> map_;
    std::unique_ptr<StoredPngWriter> png_;
    std::unique_ptr<JpegStreamWriter> jpeg_;
    std::string piece_;
    std::size_t piece_pos_ = 0;
};

// What a tile shows besides the world: the site's colour and name, and the service's layer points.
struct TileStyle {
    std::string site;
    std::uint32_t tint = 0x2F6FB5;
    MapPoints points;
    bool web_mercator = false;  // the service's tiling scheme (mercator_tile_frame, else tile_frame)
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
