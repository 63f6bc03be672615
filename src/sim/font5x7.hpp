// A 5×7 bitmap font for the stamps the sim draws into its map images (site name, tile z/x/y, export bbox):
// enough to read which site rendered an image without any font library.
#pragma once

#include <array>
#include <cstdint>

namespace gisgate::sim {

constexpr int kGlyphWidth = 5;
constexpr int kGlyphHeight = 7;
constexpr int kGlyphAdvance = 6;  // one column of space between letters

// Rows top to bottom; bit 4 is the leftmost column. Lower case is drawn as upper case; characters without a
// glyph are drawn as '?'.
const std::array<std::uint8_t, kGlyphHeight>& glyph(char c);

}  // namespace gisgate::sim
