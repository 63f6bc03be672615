// Server directories: the output images that export?f=json and sync GP tasks point at, and the scratch
// files of asynchronous jobs. Output image names encode their size and seed, so no state is kept for them.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "sim/handlers.hpp"

namespace gisgate::sim {

namespace {

// "b<wkid>,<xmin>,<ymin>,<xmax>,<ymax>" (what export?f=json names its image after) -> the frame.
bool parse_output_bbox(const std::string& part, MapFrame& frame) {
    if (part.size() < 2 || part[0] != 'b' || std::count(part.begin(), part.end(), ',') != 4)
        return false;
    double v[5];
    const char* p = part.c_str() + 1;
    for (int i = 0; i < 5; ++i) {
        char* end = nullptr;
        v[i] = std::strtod(p, &end);
        if (end == p || (i < 4 && *end != ',') || (i == 4 && *end != '\0'))
            return false;
        p = end + 1;
    }
    frame.web_mercator = v[0] == 3857;
    frame.xmin = v[1], frame.ymin = v[2], frame.xmax = v[3], frame.ymax = v[4];
    return true;
}

// "_ags_map<hex>[_b<wkid>,<bbox>]_<W>x<H>.<ext>" -> image spec (without a bbox: the whole world).
std::optional<ImageSpec> parse_output_name(const std::string& file) {
    if (file.rfind("_ags_", 0) != 0)
        return std::nullopt;
    auto dot = file.rfind('.');
    auto underscore = file.rfind('_', dot);
    if (dot == std::string::npos || underscore == std::string::npos)
        return std::nullopt;
    std::string ext = to_lower(file.substr(dot + 1));
    std::string dims = file.substr(underscore + 1, dot - underscore - 1);
    auto x = dims.find('x');
    if (x == std::string::npos)
        return std::nullopt;
    ImageSpec spec;
    auto parse = [](const std::string& s, unsigned& out) {
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
        return ec == std::errc{} && p == s.data() + s.size() && out >= 1 && out <= kMaxImageSide;
    };
    if (!parse(dims.substr(0, x), spec.width) || !parse(dims.substr(x + 1), spec.height))
        return std::nullopt;
    if (ext == "png")
        spec.format = "png";
    else if (ext == "jpg")
        spec.format = "jpg";
    else
        return std::nullopt;
    spec.seed = hash64(file);
    const std::string prefix = file.substr(0, underscore);
    const auto last = prefix.rfind('_');
    if (last != std::string::npos && last > 4)
        parse_output_bbox(prefix.substr(last + 1), spec.frame);
    return spec;
}

Reply job_file(Site& site, const SimRequest& req, Segments rest) {
    // arcgisjobs/<folder_service>_gpserver/<jobId>/scratch/output.txt
    if (rest.size() != 4 || rest[2] != "scratch" || rest[3] != "output.txt")
        return not_found();
    auto job = site.jobs.find(rest[1]);
    if (!job || !iequals(job_dir_name(job->service), rest[0]))
        return not_found();
    std::string text = fmt::format("gisgate sim {} job {}\nservice: {}\ntask: {}\nstatus: {}\n", site.options.name,
                                   job->id, job->service, job->task, to_string(site.jobs.status(*job)));
    for (const auto& [name, value] : job->inputs) text += fmt::format("input {}: {}\n", name, value);
    return text_reply(200, text);
}

}  // namespace

Reply handle_directories(Site& site, const SimRequest& req, Segments rest) {
    if (rest.size() == 3 && iequals(rest[0], "arcgisoutput")) {
        auto spec = parse_output_name(rest[2]);
        if (!spec)
            return not_found();
        // The folder names the service ("Maps_Streets_MapServer"), whose layer the image draws; GP outputs
        // (another folder) show the world without points.
        static const Service kNoService{};
        const Service* drawn = &kNoService;
        for (const Service& svc : site.catalog().services)
            if (iequals(service_dir_name(svc), rest[1]))
                drawn = &svc;
        site_image_style(site, *drawn, *spec);
        return image_reply(*spec);
    }
    if (!rest.empty() && iequals(rest[0], "arcgisjobs"))
        return job_file(site, req, rest.subspan(1));
    return not_found();
}

}  // namespace gisgate::sim
