#include "config/yaml_guard.hpp"

#include <string_view>

#include "config/loader.hpp"

namespace gisgate::config {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// "---" or "..." followed by the end of the line or a blank.
bool is_marker(std::string_view line, std::string_view marker) {
    return line.substr(0, 3) == marker && (line.size() == 3 || is_blank(line[3]));
}

}  // namespace

static void check_document_starts(const std::string& text, const std::string& name);

void reject_yaml_pitfalls(const std::string& text, const std::string& name) {
    // YAML allows no C0 control character but tab, LF and CR (and no DEL); yaml-cpp does not check, and a NUL
    // in front of the ',' below hides it from the check that follows.
    int line_no = 1;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '\n') {
            ++line_no;
            line_start = i + 1;
        } else if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f) {
            throw ConfigError({name, line_no, static_cast<int>(i - line_start) + 1},
                              "control character " + std::to_string(c) + " in the file (YAML allows none)");
        }
    }
    check_document_starts(text, name);
}

static void check_document_starts(const std::string& text, const std::string& name) {
    bool document_start = true;  // no token of the current document seen yet (yaml-cpp hangs only there)
    std::size_t line_start = 0;
    for (int line_no = 1; line_start <= text.size(); ++line_no) {
        std::size_t end = text.find('\n', line_start);
        if (end == std::string::npos) end = text.size();
        std::string_view line(text.data() + line_start, end - line_start);
        std::size_t col = 0;
        while (col < line.size() && is_blank(line[col])) ++col;
        std::string_view rest = line.substr(col);
        if (col == 0 && is_marker(rest, "---")) {
            // A new document, which may start on the marker's line: "--- , x".
            document_start = true;
            col = 3;
            while (col < line.size() && is_blank(line[col])) ++col;
            rest = line.substr(col);
        } else if (col == 0 && (is_marker(rest, "...") || (!rest.empty() && rest[0] == '%'))) {
            document_start = true;  // document end or directive: the next document has not started
            rest = {};
        }
        if (document_start && !rest.empty() && rest[0] != '#') {
            if (rest[0] == ',')
                throw ConfigError({name, line_no, static_cast<int>(col) + 1},
                                  "unexpected ',' at the start of the document");
            document_start = false;
        }
        line_start = end + 1;
    }
}

}  // namespace gisgate::config
