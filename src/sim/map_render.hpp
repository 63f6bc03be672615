// The world the simulated site draws: land and sea from a fixed noise field (coastline-like shapes), a
// graticule, and the city points of the service's first feature layer, tinted with the site's colour and
// stamped with the site name and what was asked (tile z/x/y, export bbox). A function of geographic
// coordinates, so tiles, exports and the FeatureServer's points agree wherever they overlap.
//
// Rendering is row by row (render_row), so a 4096×4096 export streams without holding the picture.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gisgate::sim {

// A feature layer point as the map draws it (lon/lat degrees, as the FeatureServer answers them).
struct MapPoint {
    double x = 0;
    double y = 0;
    std::int64_t population = 0;  // the POPULATION attribute: bigger cities show at smaller scales
};
using MapPoints = std::shared_ptr<const std::vector<MapPoint>>;

// What an image covers: a bbox in degrees (EPSG:4326) or in Web Mercator metres (EPSG:3857, what Leaflet and
// the ArcGIS JS API ask for), stretched over width×height pixels.
struct MapFrame {
    double xmin = -180, ymin = -90, xmax = 180, ymax = 90;
    bool web_mercator = false;
    unsigned width = 256, height = 256;
};

// The site's colour: one of 8 distinct hues picked from the name, so site-a, site-b and site-c differ.
std::uint32_t site_tint(std::string_view site_name);
std::string tint_css(std::uint32_t rgb);  // "#rrggbb"

// The tile grid of the sim's MapServer tileInfo (EPSG:4326, origin -180,90, 0.703125°/px at level 0).
MapFrame tile_frame(unsigned z, unsigned y, unsigned x);
// The Web Mercator tile grid (EPSG:3857, origin -20037508.342787,20037508.342787, 156543.03392800014 m/px at
// level 0), as ArcGIS Online, Google and OpenStreetMap tiles.
MapFrame mercator_tile_frame(unsigned z, unsigned y, unsigned x);
inline constexpr double kWebMercatorOrigin = 20037508.342787;
inline constexpr double kWebMercatorResolution0 = 156543.03392800014;

class MapRenderer {
public:
    // `stamp`: text lines written in the top-left corner on the tint. `points` may be null (no layer).
    MapRenderer(const MapFrame& frame, std::uint32_t tint, std::vector<std::string> stamp, const MapPoints& points);
    unsigned width() const { return frame_.width; }
    unsigned height() const { return frame_.height; }
    // Writes row `row` (0 = top) as width×3 bytes of RGB.
    void render_row(unsigned row, std::uint8_t* rgb) const;

private:
    struct Dot {
        int cx, cy, r;
    };
    double row_lat(double pixel_y) const;  // latitude at a (fractional) pixel row
    double col_lon(double pixel_x) const;

    MapFrame frame_;
    std::uint8_t tint_[3];
    std::vector<std::string> stamp_;
    int stamp_scale_ = 2;
    std::vector<float> col_land_x_;     // land grid column of each pixel column
    std::vector<std::uint8_t> col_grid_;  // pixel column on a meridian of the graticule
    double grid_step_ = 30;             // graticule spacing, degrees
    std::vector<Dot> dots_;             // visible cities, sorted by cy
};

}  // namespace gisgate::sim
