// JPEG encoding of rendered maps (libjpeg-turbo), for exports asked with format=jpg: baseline, quality 75,
// fed row by row from the renderer and handed out piece by piece, so a 4096×4096 export never holds the
// picture or the whole file.
#pragma once

#include <memory>
#include <string>

#include "sim/map_render.hpp"

namespace gisgate::sim {

class JpegStreamWriter {
public:
    explicit JpegStreamWriter(const MapRenderer& map, int quality = 75);
    ~JpegStreamWriter();
    JpegStreamWriter(const JpegStreamWriter&) = delete;
    JpegStreamWriter& operator=(const JpegStreamWriter&) = delete;
    // The next bytes of the file (empty once it is complete). Throws std::runtime_error if libjpeg fails.
    std::string next();

    struct State;  // libjpeg's structures and the bytes produced (its callbacks reach it, hence not private)

private:
    std::unique_ptr<State> state_;
};

}  // namespace gisgate::sim
