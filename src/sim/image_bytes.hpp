// Fake image bytes: map exports streamed chunk by chunk (never the whole body in memory) and deterministic
// cache tiles. They start like real PNG/JPEG files (signature + header) so clients sniffing the type are
// satisfied; the rest is pseudo-random filler. Generating it costs CPU per byte, like real rendering does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace gisgate::sim {

// What an export produces: a PNG is ~width*height*3 bytes (uncompressed RGB), a JPEG ~width*height.
struct ImageSpec {
    std::string format = "png";  // "png" or "jpg"
    unsigned width = 400;
    unsigned height = 400;
    std::uint64_t seed = 0;

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
    std::string header_;
    std::uint64_t total_;
    std::uint64_t produced_ = 0;
    std::uint64_t state_;
};

// Tile z/y/x of a service: 5-20 KB, the same bytes for the same inputs, and its strong ETag (quoted).
std::string tile_bytes(const std::string& service, unsigned z, unsigned y, unsigned x);
std::string tile_etag(const std::string& service, unsigned z, unsigned y, unsigned x);

// FNV-1a, for seeds derived from request parameters.
std::uint64_t hash64(std::string_view s, std::uint64_t seed = 1469598103934665603ull);

}  // namespace gisgate::sim
