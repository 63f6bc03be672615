#include "config/yaml_guard.hpp"

#include <optional>
#include <sstream>
#include <string_view>

#include <yaml-cpp/eventhandler.h>

#include "config/loader.hpp"

namespace gisgate::config {


void reject_control_characters(const std::string& text, const std::string& name) {
    // YAML allows no C0 control character but tab, LF and CR (and no DEL); yaml-cpp does not check.
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
}

namespace {

// Remembers where the second document's first node is; ignores everything else.
class DocumentCounter : public YAML::EventHandler {
public:
    int documents = 0;
    std::optional<YAML::Mark> second;

    void OnDocumentStart(const YAML::Mark&) override { ++documents; }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
    void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t, const std::string&) override {
        node(mark);
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
        node(mark);
    }
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
        node(mark);
    }
    void OnMapEnd() override {}

private:
    void node(const YAML::Mark& mark) {
        if (documents == 2 && !second) second = mark;
    }
};

}  // namespace

YAML::Node load_single_document(const std::string& text, const std::string& name) {
    YAML::Node root = YAML::Load(text);
    std::istringstream in(text);
    YAML::Parser parser(in);
    DocumentCounter counter;
    if (parser.HandleNextDocument(counter) && parser.HandleNextDocument(counter)) {
        const YAML::Mark at = counter.second.value_or(YAML::Mark());
        const int line = at.is_null() ? 0 : at.line + 1;
        const int column = at.is_null() ? 0 : at.column + 1;
        const std::size_t pos = at.is_null() || at.pos < 0 ? std::string::npos : static_cast<std::size_t>(at.pos);
        // A stray indicator after the document (the ',' that makes LoadAll loop) shows up as an empty second
        // document at that character; name it. Anything else is a real second document.
        if (pos < text.size() && std::string_view(",:?]}").find(text[pos]) != std::string_view::npos)
            throw ConfigError({name, line, column},
                              std::string("unexpected '") + text[pos] + "' after the end of the document");
        throw ConfigError({name, line, column}, "only one YAML document is allowed ('---' starts a second one)");
    }
    return root;
}

}  // namespace gisgate::config
