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

void put_be32(std::string& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

// PNG signature + a valid IHDR chunk (8-bit RGB) announcing the real dimensions.
std::string png_header(unsigned width, unsigned height) {
    std::string out("\x89PNG\r\n\x1a\n", 8);
    std::string chunk = "IHDR";
    put_be32(chunk, width);
    put_be32(chunk, height);
    chunk.append("\x08\x02\x00\x00\x00", 5);  // bit depth 8, colour type RGB, deflate, no filter, no interlace
    put_be32(out, 13);
    out += chunk;
    put_be32(out, static_cast<std::uint32_t>(
                      crc32(0, reinterpret_cast<const Bytef*>(chunk.data()), static_cast<uInt>(chunk.size()))));
    return out;
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
    std::uint64_t pixels = std::uint64_t{width} * height;
    std::uint64_t bytes = format == "jpg" ? pixels : pixels * 3;
    return std::max<std::uint64_t>(bytes, 64);
}

const char* ImageSpec::content_type() const {
    return format == "jpg" ? "image/jpeg" : "image/png";
}

ImageGenerator::ImageGenerator(const ImageSpec& spec)
    : header_(spec.format == "jpg" ? jpg_header() : png_header(spec.width, spec.height)),
      total_(spec.size()),
      state_(spec.seed ^ 0x5eed5eed5eed5eedull) {}

std::size_t ImageGenerator::next(std::span<char> out) {
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

std::string tile_bytes(const std::string& service, unsigned z, unsigned y, unsigned x) {
    std::uint64_t seed = hash64(fmt::format("{}/{}/{}/{}", service, z, y, x));
    ImageSpec spec;
    spec.width = 256;
    spec.height = 256;
    spec.seed = seed;
    std::size_t size = 5 * 1024 + static_cast<std::size_t>(seed % (15 * 1024));
    std::string out(size, '\0');
    ImageGenerator gen(spec);
    gen.next(std::span<char>(out.data(), out.size()));
    return out;
}

std::string tile_etag(const std::string& service, unsigned z, unsigned y, unsigned x) {
    return fmt::format("\"{:016x}\"", hash64(fmt::format("etag:{}/{}/{}/{}", service, z, y, x)));
}

}  // namespace gisgate::sim
