#include "sim/map_render.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "sim/font5x7.hpp"

namespace gisgate::sim {

namespace {

constexpr double kEarthRadius = 6378137.0;  // Web Mercator sphere
constexpr double kPi = 3.14159265358979323846;

// Land/sea: value noise sampled every half degree (721×361 nodes, wrapping in longitude), bilinearly
// interpolated per pixel. Computed once per process (~0.3 MB); a pixel costs one interpolation.
constexpr int kLandCols = 720;
constexpr int kLandRows = 360;
constexpr double kLandCellsPerDegree = 2.0;

struct LandGrid {
    std::vector<float> v;  // (kLandRows + 1) × kLandCols, row 0 = 90°N
    float sea_level = 0;   // the share of sea is fixed (about 68%), like the real planet
    float at(int col, int row) const { return v[static_cast<std::size_t>(row) * kLandCols + col]; }
};

float lattice_value(std::uint32_t ix, std::uint32_t iy, std::uint32_t octave) {
    std::uint64_t h = (std::uint64_t{ix} * 0x9E3779B1u) ^ (std::uint64_t{iy} * 0x85EBCA77u) ^
                      (std::uint64_t{octave} * 0xC2B2AE3Du) ^ 0x2545F4914F6CDD1Dull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return static_cast<float>(h & 0xffffff) / static_cast<float>(0x1000000);
}

double smooth(double t) {
    return t * t * (3 - 2 * t);
}

const LandGrid& land_grid() {
    static const LandGrid grid = [] {
        LandGrid g;
        g.v.resize(static_cast<std::size_t>(kLandRows + 1) * kLandCols);
        // Cell sizes in grid nodes that divide 720, so the noise wraps at the antimeridian.
        constexpr std::array<int, 5> kCells{90, 48, 24, 12, 6};
        for (int row = 0; row <= kLandRows; ++row) {
            const double lat = 90.0 - row / kLandCellsPerDegree;
            for (int col = 0; col < kLandCols; ++col) {
                double value = 0, amplitude = 1;
                for (std::size_t o = 0; o < kCells.size(); ++o) {
                    const int cell = kCells[o];
                    const int wrap = kLandCols / cell;
                    const double fx = static_cast<double>(col) / cell, fy = static_cast<double>(row) / cell;
                    const int x0 = static_cast<int>(fx), y0 = static_cast<int>(fy);
                    const double tx = smooth(fx - x0), ty = smooth(fy - y0);
                    const auto lv = [&](int x, int y) {
                        return lattice_value(static_cast<std::uint32_t>(x % wrap), static_cast<std::uint32_t>(y),
                                             static_cast<std::uint32_t>(o));
                    };
                    const double top = lv(x0, y0) + (lv(x0 + 1, y0) - lv(x0, y0)) * tx;
                    const double bottom = lv(x0, y0 + 1) + (lv(x0 + 1, y0 + 1) - lv(x0, y0 + 1)) * tx;
                    value += amplitude * (top + (bottom - top) * ty);
                    amplitude /= 2;
                }
                if (lat < -70)  // an ice continent at the south pole, as on the real map
                    value += (-70 - lat) / 10;
                g.v[static_cast<std::size_t>(row) * kLandCols + col] = static_cast<float>(value);
            }
        }
        std::vector<float> sorted = g.v;
        auto nth = sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() * 68 / 100);
        std::nth_element(sorted.begin(), nth, sorted.end());
        g.sea_level = *nth;
        return g;
    }();
    return grid;
}

std::uint8_t mix(double a, double b, double t) {
    return static_cast<std::uint8_t>(std::clamp(a + (b - a) * t, 0.0, 255.0));
}

// The graticule spacing that puts meridians at least ~64 pixels apart.
double graticule_step(double degrees_per_pixel) {
    static constexpr double kSteps[] = {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30};
    for (double step : kSteps)
        if (step / degrees_per_pixel >= 64)
            return step;
    return 30;
}

bool crosses(double a, double b, double step) {
    return std::floor(a / step) != std::floor(b / step);
}

double mercator_y(double lat) {
    lat = std::clamp(lat, -85.0511, 85.0511);
    return kEarthRadius * std::log(std::tan(kPi / 4 + lat * kPi / 360));
}

}  // namespace

std::uint32_t site_tint(std::string_view site_name) {
    // Bright enough to read white text on, distinct from each other and from the land and sea colours.
    static constexpr std::uint32_t kPalette[] = {0x2F6FB5, 0xE67E22, 0x27AE60, 0x8E44AD,
                                                 0xC0392B, 0x16A085, 0xA0522D, 0xD35490};
    // A sum of the characters, not a hash: names that differ in one character ("site-a", "site-b") get
    // different colours for sure.
    unsigned sum = 0;
    for (unsigned char c : site_name) sum += c;
    return kPalette[sum % 8];
}

std::string tint_css(std::uint32_t rgb) {
    return fmt::format("#{:06x}", rgb & 0xffffff);
}

MapFrame tile_frame(unsigned z, unsigned y, unsigned x) {
    const double resolution = 0.703125 / std::ldexp(1.0, static_cast<int>(z));
    MapFrame f;
    f.width = f.height = 256;
    f.xmin = -180 + x * 256 * resolution;
    f.xmax = f.xmin + 256 * resolution;
    f.ymax = 90 - y * 256 * resolution;
    f.ymin = f.ymax - 256 * resolution;
    return f;
}

MapFrame mercator_tile_frame(unsigned z, unsigned y, unsigned x) {
    const double resolution = kWebMercatorResolution0 / std::ldexp(1.0, static_cast<int>(z));
    MapFrame f;
    f.web_mercator = true;
    f.width = f.height = 256;
    f.xmin = -kWebMercatorOrigin + x * 256 * resolution;
    f.xmax = f.xmin + 256 * resolution;
    f.ymax = kWebMercatorOrigin - y * 256 * resolution;
    f.ymin = f.ymax - 256 * resolution;
    return f;
}

double MapRenderer::col_lon(double px) const {
    const double x = frame_.xmin + (frame_.xmax - frame_.xmin) * px / frame_.width;
    return frame_.web_mercator ? x / kEarthRadius * 180 / kPi : x;
}

double MapRenderer::row_lat(double py) const {
    const double y = frame_.ymax - (frame_.ymax - frame_.ymin) * py / frame_.height;
    return frame_.web_mercator ? (2 * std::atan(std::exp(y / kEarthRadius)) - kPi / 2) * 180 / kPi : y;
}

MapRenderer::MapRenderer(const MapFrame& frame, std::uint32_t tint, std::vector<std::string> stamp,
                         const MapPoints& points)
    : frame_(frame), stamp_(std::move(stamp)) {
    tint_[0] = static_cast<std::uint8_t>(tint >> 16);
    tint_[1] = static_cast<std::uint8_t>(tint >> 8);
    tint_[2] = static_cast<std::uint8_t>(tint);
    std::size_t longest = 0;
    for (const auto& line : stamp_) longest = std::max(longest, line.size());
    stamp_scale_ = longest * kGlyphAdvance * 2 + 16 <= frame_.width ? 2 : 1;

    const unsigned w = frame_.width;
    const double lon_span = std::abs(col_lon(w) - col_lon(0));
    const double degrees_per_pixel = std::max(lon_span / w, 1e-9);
    grid_step_ = graticule_step(degrees_per_pixel);
    col_land_x_.resize(w);
    col_grid_.resize(w);
    for (unsigned c = 0; c < w; ++c) {
        double gx = std::fmod((col_lon(c + 0.5) + 180) * kLandCellsPerDegree, kLandCols);
        if (gx < 0)
            gx += kLandCols;
        col_land_x_[c] = static_cast<float>(gx);
        col_grid_[c] = crosses(col_lon(c), col_lon(c + 1), grid_step_) ? 1 : 0;
    }

    // Cities: about one per 64×64 pixels at any scale, the most populous first (the same rule for a tile
    // and an export of the same scale, so they show the same cities).
    if (points && !points->empty()) {
        const double shown = std::min(1.0, 64800.0 / (degrees_per_pixel * degrees_per_pixel * 4096.0 *
                                                      static_cast<double>(points->size())));
        const auto min_population = static_cast<std::int64_t>((1 - shown) * 1000000);
        for (const MapPoint& p : *points) {
            if (p.population < min_population)
                continue;
            const double px = (p.x - (frame_.web_mercator ? frame_.xmin / kEarthRadius * 180 / kPi : frame_.xmin)) /
                              degrees_per_pixel;
            const double y = frame_.web_mercator ? mercator_y(p.y) : p.y;
            const double py = (frame_.ymax - y) / (frame_.ymax - frame_.ymin) * frame_.height;
            const int r = 1 + (p.population > 600000) + (p.population > 900000);
            if (px < -r || py < -r || px > w + r || py > frame_.height + r)
                continue;
            dots_.push_back({static_cast<int>(px), static_cast<int>(py), r});
        }
        std::sort(dots_.begin(), dots_.end(), [](const Dot& a, const Dot& b) { return a.cy < b.cy; });
    }
}

void MapRenderer::render_row(unsigned row, std::uint8_t* rgb) const {
    const LandGrid& land = land_grid();
    const unsigned w = frame_.width;
    const double lat = row_lat(row + 0.5);
    const bool row_on_grid = crosses(row_lat(row + 1), row_lat(row), grid_step_);
    double gy = (90 - lat) * kLandCellsPerDegree;
    const bool off_world = gy < 0 || gy > kLandRows;  // tiles below the world's edge are plain sea
    gy = std::clamp(gy, 0.0, kLandRows - 1e-6);
    const int y0 = static_cast<int>(gy);
    const float ty = static_cast<float>(gy - y0);

    for (unsigned c = 0; c < w; ++c) {
        const float gx = col_land_x_[c];
        const int x0 = static_cast<int>(gx);
        const int x1 = x0 + 1 == kLandCols ? 0 : x0 + 1;
        const float tx = gx - static_cast<float>(x0);
        const float top = land.at(x0, y0) + (land.at(x1, y0) - land.at(x0, y0)) * tx;
        const float bottom = land.at(x0, y0 + 1) + (land.at(x1, y0 + 1) - land.at(x0, y0 + 1)) * tx;
        const double d = off_world ? -1.0 : (top + (bottom - top) * ty) - land.sea_level;
        double r, g, b;
        // Bands of height and depth, like a printed atlas (and flat areas compress well).
        if (d > 0) {  // land: sand at the coast to green inland
            const double t = std::floor(std::min(1.0, d * 6) * 4) / 4;
            r = 232 + (150 - 232) * t, g = 220 + (196 - 220) * t, b = 170 + (120 - 170) * t;
        } else {  // sea: light near the coast, deeper further out
            const double t = std::floor(std::min(1.0, -d * 5) * 3) / 3;
            r = 176 + (110 - 176) * t, g = 214 + (160 - 214) * t, b = 240 + (216 - 240) * t;
        }
        if (row_on_grid || col_grid_[c]) {
            r = r * 0.55 + 96 * 0.45, g = g * 0.55 + 108 * 0.45, b = b * 0.55 + 128 * 0.45;
        }
        std::uint8_t* px = rgb + 3 * c;
        px[0] = mix(r, tint_[0], 0.22);
        px[1] = mix(g, tint_[1], 0.22);
        px[2] = mix(b, tint_[2], 0.22);
    }

    // Cities: filled dots (dark, readable on land, sea and tint alike).
    const int y = static_cast<int>(row);
    auto first = std::lower_bound(dots_.begin(), dots_.end(), y - 3, [](const Dot& d, int v) { return d.cy < v; });
    for (auto it = first; it != dots_.end() && it->cy <= y + 3; ++it) {
        const int dy = y - it->cy;
        if (dy < -it->r || dy > it->r)
            continue;
        const int half = static_cast<int>(std::sqrt(static_cast<double>(it->r * it->r - dy * dy)) + 0.5);
        for (int x = std::max(0, it->cx - half); x <= std::min(static_cast<int>(w) - 1, it->cx + half); ++x) {
            rgb[3 * x] = 70;
            rgb[3 * x + 1] = 34;
            rgb[3 * x + 2] = 34;
        }
    }

    // The stamp: each line white on a box of the site's colour.
    const int scale = stamp_scale_;
    const int pad = 3;
    for (std::size_t i = 0; i < stamp_.size(); ++i) {
        const int top = 6 + static_cast<int>(i) * (kGlyphHeight * scale + 2 * pad + 2);
        const int left = 6;
        if (y < top - pad || y >= top + kGlyphHeight * scale + pad)
            continue;
        const int box_right = std::min<int>(static_cast<int>(w), left + static_cast<int>(stamp_[i].size()) *
                                                                          kGlyphAdvance * scale - scale + pad);
        for (int x = std::max(0, left - pad); x < box_right; ++x) {
            rgb[3 * x] = tint_[0];
            rgb[3 * x + 1] = tint_[1];
            rgb[3 * x + 2] = tint_[2];
        }
        const int glyph_row = (y - top) / scale;
        if (y < top || glyph_row >= kGlyphHeight)
            continue;
        for (std::size_t k = 0; k < stamp_[i].size(); ++k) {
            const std::uint8_t bits = glyph(stamp_[i][k])[glyph_row];
            for (int gx = 0; gx < kGlyphWidth; ++gx) {
                if (!(bits & (0x10 >> gx)))
                    continue;
                for (int s = 0; s < scale; ++s) {
                    const int x = left + static_cast<int>(k) * kGlyphAdvance * scale + gx * scale + s;
                    if (x >= 0 && x < static_cast<int>(w))
                        rgb[3 * x] = rgb[3 * x + 1] = rgb[3 * x + 2] = 255;
                }
            }
        }
    }

    // A 2-pixel frame in the site's colour: neighbouring tiles from different sites show their seams.
    const auto paint = [&](unsigned c) {
        rgb[3 * c] = tint_[0];
        rgb[3 * c + 1] = tint_[1];
        rgb[3 * c + 2] = tint_[2];
    };
    if (row < 2 || row + 2 >= frame_.height) {
        for (unsigned c = 0; c < w; ++c) paint(c);
    } else {
        for (unsigned c = 0; c < std::min(2u, w); ++c) {
            paint(c);
            paint(w - 1 - c);
        }
    }
}

}  // namespace gisgate::sim
