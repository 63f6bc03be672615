#include "sim/responses.hpp"

#include <zlib.h>

#include "util/html.hpp"

namespace gisgate::sim {

using util::html_escape;

namespace {
// The JSON pretty-printed inside a minimal page, as the Services Directory shows a resource.
Reply json_page(const std::string& title, const nlohmann::json& body) {
    return html_reply(title, "<pre>" + html_escape(body.dump(2)) + "</pre>");
}
}  // namespace

Reply json_reply(const nlohmann::json& body, const Params& params, unsigned status) {
    std::string f = to_lower(param(params, "f", "json"));
    Reply r;
    r.status = status;
    r.compressible = true;
    if (f == "html") {
        r = json_page("ArcGIS REST Services Directory", body);
        r.status = status;
        return r;
    }
    r.body = f == "pjson" ? body.dump(2) : body.dump();
    if (f == "pjson")
        r.content_type = "text/plain; charset=utf-8";
    return r;
}

Reply page_reply(const nlohmann::json& body, const Params& params, const std::string& title) {
    const std::string f = to_lower(param(params, "f", "html"));
    return f == "json" || f == "pjson" ? json_reply(body, params) : json_page(title, body);
}

Reply arcgis_error(int code, const std::string& message, unsigned http_status,
                   const std::vector<std::string>& details) {
    nlohmann::json body = {{"error", {{"code", code}, {"message", message}, {"details", details}}}};
    Reply r;
    r.status = http_status;
    r.body = body.dump();
    r.compressible = true;
    return r;
}

Reply text_reply(unsigned status, const std::string& text) {
    Reply r;
    r.status = status;
    r.content_type = "text/plain; charset=utf-8";
    r.body = text;
    return r;
}

Reply html_reply(const std::string& title, const std::string& body_html) {
    Reply r;
    r.content_type = "text/html; charset=utf-8";
    r.compressible = true;
    r.body = "<!DOCTYPE html>\n<html><head><title>" + html_escape(title) + "</title></head><body><h2>" +
             html_escape(title) + "</h2>\n" + body_html + "\n</body></html>\n";
    return r;
}

Reply image_reply(const ImageSpec& spec) {
    Reply r;
    r.content_type = spec.content_type();
    r.image = spec;
    return r;
}

bool gzip_compress(const std::string& in, std::string& out) {
    z_stream zs{};
    // 15 + 16: zlib window with a gzip wrapper.
    if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return false;
    out.resize(deflateBound(&zs, static_cast<uLong>(in.size())) + 32);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    int rc = deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return rc == Z_STREAM_END;
}

}  // namespace gisgate::sim
