#include "sim/jpeg.hpp"

// jpeglib.h needs FILE and size_t declared first.
#include <cstddef>
#include <cstdio>
#include <jpeglib.h>

#include <stdexcept>
#include <vector>

namespace gisgate::sim {

namespace {

constexpr std::size_t kJpegBuffer = 64 * 1024;
constexpr unsigned kRowsPerPiece = 16;  // one MCU row of 4:2:0 sampling

// libjpeg's default error handler exits the process; a sim must answer an error instead.
[[noreturn]] void throw_jpeg_error(j_common_ptr cinfo) {
    char message[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, message);
    throw std::runtime_error(std::string("JPEG encoding failed: ") + message);
}

}  // namespace

struct JpegStreamWriter::State {
    const MapRenderer& map;
    jpeg_compress_struct cinfo{};
    jpeg_error_mgr error{};
    jpeg_destination_mgr destination{};
    std::vector<unsigned char> buffer = std::vector<unsigned char>(kJpegBuffer);
    std::string pending;  // compressed bytes not handed out yet
    std::vector<unsigned char> row;
    unsigned next_row = 0;
    bool finished = false;

    explicit State(const MapRenderer& m) : map(m), row(std::size_t{m.width()} * 3) {}
};

namespace {

JpegStreamWriter::State* state_of(j_compress_ptr cinfo) {
    return static_cast<JpegStreamWriter::State*>(cinfo->client_data);
}

void init_destination(j_compress_ptr cinfo) {
    auto* s = state_of(cinfo);
    cinfo->dest->next_output_byte = s->buffer.data();
    cinfo->dest->free_in_buffer = s->buffer.size();
}

boolean empty_output_buffer(j_compress_ptr cinfo) {
    auto* s = state_of(cinfo);
    // libjpeg calls this with the whole buffer full (free_in_buffer is not to be trusted here).
    s->pending.append(reinterpret_cast<const char*>(s->buffer.data()), s->buffer.size());
    init_destination(cinfo);
    return TRUE;
}

void term_destination(j_compress_ptr cinfo) {
    auto* s = state_of(cinfo);
    s->pending.append(reinterpret_cast<const char*>(s->buffer.data()), s->buffer.size() - cinfo->dest->free_in_buffer);
}

}  // namespace

JpegStreamWriter::JpegStreamWriter(const MapRenderer& map, int quality) : state_(std::make_unique<State>(map)) {
    State& s = *state_;
    s.cinfo.err = jpeg_std_error(&s.error);
    s.error.error_exit = throw_jpeg_error;
    jpeg_create_compress(&s.cinfo);
    s.cinfo.client_data = &s;
    s.destination.init_destination = init_destination;
    s.destination.empty_output_buffer = empty_output_buffer;
    s.destination.term_destination = term_destination;
    s.cinfo.dest = &s.destination;
    s.cinfo.image_width = map.width();
    s.cinfo.image_height = map.height();
    s.cinfo.input_components = 3;
    s.cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&s.cinfo);
    jpeg_set_quality(&s.cinfo, quality, TRUE);
    jpeg_start_compress(&s.cinfo, TRUE);
}

JpegStreamWriter::~JpegStreamWriter() {
    jpeg_destroy_compress(&state_->cinfo);
}

std::string JpegStreamWriter::next() {
    State& s = *state_;
    while (s.pending.empty() && !s.finished) {
        for (unsigned n = 0; n < kRowsPerPiece && s.next_row < s.map.height(); ++n, ++s.next_row) {
            s.map.render_row(s.next_row, s.row.data());
            JSAMPROW rows[1] = {s.row.data()};
            jpeg_write_scanlines(&s.cinfo, rows, 1);
        }
        if (s.next_row == s.map.height()) {
            jpeg_finish_compress(&s.cinfo);
            s.finished = true;
        }
    }
    return std::exchange(s.pending, std::string());
}

}  // namespace gisgate::sim
