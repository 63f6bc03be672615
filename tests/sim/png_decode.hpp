// A strict little PNG reader for the sim's images (8-bit RGB, no interlace): checks the signature, every
// chunk's CRC, the IHDR, inflates the IDAT stream and undoes the five row filters, so a test can say "a
// browser can decode this" and look at pixels.
#pragma once

#include <zlib.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace gisgate::sim::testing {

struct DecodedPng {
    bool ok = false;
    std::string error;
    unsigned width = 0, height = 0;
    std::vector<std::uint8_t> rgb;  // width×height×3
    std::vector<std::string> chunk_types;
    std::array<std::uint8_t, 3> pixel(unsigned x, unsigned y) const {
        const std::size_t i = (std::size_t{y} * width + x) * 3;
        return {rgb[i], rgb[i + 1], rgb[i + 2]};
    }
};

inline std::uint32_t png_be32(const std::string& s, std::size_t at) {
    return (std::uint32_t{static_cast<unsigned char>(s[at])} << 24) |
           (std::uint32_t{static_cast<unsigned char>(s[at + 1])} << 16) |
           (std::uint32_t{static_cast<unsigned char>(s[at + 2])} << 8) | static_cast<unsigned char>(s[at + 3]);
}

inline DecodedPng decode_png(const std::string& data) {
    DecodedPng out;
    auto fail = [&](std::string why) {
        out.error = std::move(why);
        return out;
    };
    if (data.size() < 8 || data.compare(0, 8, std::string("\x89PNG\r\n\x1a\n", 8)) != 0)
        return fail("no PNG signature");
    std::string idat;
    bool end = false;
    for (std::size_t at = 8; !end;) {
        if (at + 12 > data.size())
            return fail("truncated chunk at " + std::to_string(at));
        const std::uint32_t len = png_be32(data, at);
        if (at + 12 + len > data.size())
            return fail("chunk runs past the end");
        const std::string type = data.substr(at + 4, 4);
        const std::string body = data.substr(at + 8, len);
        const uLong crc = crc32(crc32(0, reinterpret_cast<const Bytef*>(type.data()), 4),
                                reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(len));
        if (crc != png_be32(data, at + 8 + len))
            return fail("bad CRC in " + type);
        out.chunk_types.push_back(type);
        if (type == "IHDR") {
            out.width = png_be32(body, 0);
            out.height = png_be32(body, 4);
            if (body.substr(8, 5) != std::string("\x08\x02\x00\x00\x00", 5))
                return fail("not 8-bit RGB, deflate, no interlace");
        } else if (type == "IDAT") {
            idat += body;
        } else if (type == "IEND") {
            end = true;
            if (at + 12 != data.size())
                return fail("bytes after IEND");
        } else if (!(type[0] & 0x20)) {
            return fail("unknown critical chunk " + type);
        }
        at += 12 + len;
    }
    const std::size_t stride = 1 + std::size_t{out.width} * 3;
    std::vector<std::uint8_t> raw(stride * out.height);
    uLongf raw_size = static_cast<uLongf>(raw.size());
    if (uncompress(raw.data(), &raw_size, reinterpret_cast<const Bytef*>(idat.data()), static_cast<uLong>(idat.size())) !=
            Z_OK ||
        raw_size != raw.size())
        return fail("IDAT does not inflate to height×(1+3×width) bytes");
    out.rgb.resize(std::size_t{out.width} * out.height * 3);
    const std::size_t row_bytes = stride - 1;
    for (unsigned y = 0; y < out.height; ++y) {
        const std::uint8_t filter = raw[y * stride];
        const std::uint8_t* in = &raw[y * stride + 1];
        std::uint8_t* row = &out.rgb[y * row_bytes];
        const std::uint8_t* up = y ? &out.rgb[(y - 1) * row_bytes] : nullptr;
        for (std::size_t i = 0; i < row_bytes; ++i) {
            const int a = i >= 3 ? row[i - 3] : 0, b = up ? up[i] : 0, c = up && i >= 3 ? up[i - 3] : 0;
            int v = in[i];
            switch (filter) {
                case 0: break;
                case 1: v += a; break;
                case 2: v += b; break;
                case 3: v += (a + b) / 2; break;
                case 4: {
                    const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
                    v += pa <= pb && pa <= pc ? a : (pb <= pc ? b : c);
                    break;
                }
                default: return fail("bad filter type " + std::to_string(filter));
            }
            row[i] = static_cast<std::uint8_t>(v);
        }
    }
    out.ok = true;
    return out;
}

}  // namespace gisgate::sim::testing
