// Decodes the sim's JPEG exports with libjpeg-turbo (what the sim links anyway), so a test can say "a browser
// can decode this" and look at pixels. Errors are returned, never the library's exit().
#pragma once

#include <csetjmp>
#include <cstddef>
#include <cstdio>
#include <jpeglib.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace gisgate::sim::testing {

struct DecodedJpeg {
    bool ok = false;
    std::string error;
    unsigned width = 0, height = 0;
    std::vector<std::uint8_t> rgb;
    std::array<int, 3> pixel(unsigned x, unsigned y) const {
        const std::size_t i = (std::size_t{y} * width + x) * 3;
        return {rgb[i], rgb[i + 1], rgb[i + 2]};
    }
};

struct JpegTestError {
    jpeg_error_mgr mgr;
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

inline void jpeg_test_error_exit(j_common_ptr cinfo) {
    auto* e = reinterpret_cast<JpegTestError*>(cinfo->err);
    (*cinfo->err->format_message)(cinfo, e->message);
    std::longjmp(e->jump, 1);
}

inline DecodedJpeg decode_jpeg(const std::string& data) {
    DecodedJpeg out;
    jpeg_decompress_struct cinfo{};
    JpegTestError err{};
    cinfo.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = jpeg_test_error_exit;
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        out.ok = false;
        out.error = err.message;
        return out;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(data.data()), static_cast<unsigned long>(data.size()));
    jpeg_read_header(&cinfo, TRUE);
    cinfo.out_color_space = JCS_RGB;
    jpeg_start_decompress(&cinfo);
    out.width = cinfo.output_width;
    out.height = cinfo.output_height;
    out.rgb.resize(std::size_t{out.width} * out.height * 3);
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = out.rgb.data() + std::size_t{cinfo.output_scanline} * out.width * 3;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    out.ok = true;
    return out;
}

}  // namespace gisgate::sim::testing
