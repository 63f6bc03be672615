#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "http/path.hpp"

namespace gisgate::http {
namespace {

struct PathCase {
    const char* raw;
    const char* forward;
    const char* match;
};

void PrintTo(const PathCase& c, std::ostream* os) { *os << c.raw; }

class NormalizePath : public ::testing::TestWithParam<PathCase> {};

// The table is read with `path_escapes: keep` (keep_escapes = true), so it also shows how the ambiguous
// spellings are forwarded and matched when a listener keeps them; by default they are 400 (AmbiguousSpellings).
TEST_P(NormalizePath, ForwardAndMatch) {
    const PathCase& c = GetParam();
    NormalizedPath out;
    ASSERT_EQ(normalize_path(c.raw, out, /*keep_escapes=*/true), PathError::none) << c.raw;
    EXPECT_EQ(out.forward, c.forward) << c.raw;
    EXPECT_EQ(out.match, c.match) << c.raw;
    // Normalisation is idempotent: the forwarded form normalises to itself.
    NormalizedPath again;
    ASSERT_EQ(normalize_path(out.forward, again, true), PathError::none);
    EXPECT_EQ(again.forward, out.forward);
    EXPECT_EQ(again.match, out.match);
}

INSTANTIATE_TEST_SUITE_P(
    Table, NormalizePath,
    ::testing::Values(
        PathCase{"/", "/", "/"},
        PathCase{"/arcgis/rest/services", "/arcgis/rest/services", "/arcgis/rest/services"},
        PathCase{"/arcgis/%61dmin", "/arcgis/admin", "/arcgis/admin"},
        PathCase{"/arcgis/%41dmin", "/arcgis/Admin", "/arcgis/admin"},
        PathCase{"//arcgis/admin", "/arcgis/admin", "/arcgis/admin"},
        PathCase{"/arcgis///admin//", "/arcgis/admin/", "/arcgis/admin/"},
        PathCase{"/arcgis/./admin", "/arcgis/admin", "/arcgis/admin"},
        PathCase{"/arcgis/rest/../admin", "/arcgis/admin", "/arcgis/admin"},
        PathCase{"/.", "/", "/"},
        PathCase{"/a/b/..", "/a/", "/a/"},
        PathCase{"/a/b/.", "/a/b/", "/a/b/"},
        PathCase{"/a/.../b", "/a/.../b", "/a/.../b"},    // "..." is an ordinary segment
        PathCase{"/a/..b/.c", "/a/..b/.c", "/a/..b/.c"},
        PathCase{"/ARCGIS/Admin", "/ARCGIS/Admin", "/arcgis/admin"},
        PathCase{"/arcgis%2Fadmin", "/arcgis%2Fadmin", "/arcgis/admin"},
        PathCase{"/arcgis%2fadmin", "/arcgis%2Fadmin", "/arcgis/admin"},  // hex upper-cased in forward
        PathCase{"/arcgis/rest/%2e%2e/admin", "/arcgis/admin", "/arcgis/admin"},
        PathCase{"/arcgis/rest/%2E./admin", "/arcgis/admin", "/arcgis/admin"},
        PathCase{"/arcgis/rest/.%2e/admin", "/arcgis/admin", "/arcgis/admin"},
        PathCase{"/arcgis/%2e/admin", "/arcgis/admin", "/arcgis/admin"},
        PathCase{"/arcgis/rest%2F..%2Fadmin", "/arcgis/rest%2F..%2Fadmin", "/arcgis/admin"},
        PathCase{"/arcgis/rest/", "/arcgis/rest/", "/arcgis/rest/"},
        PathCase{"/a%20b", "/a%20b", "/a b"},
        PathCase{"/a%7eb%5Fc%2D", "/a~b_c-", "/a~b_c-"},
        PathCase{"/a%25b", "/a%25b", "/a%b"},  // single decode only
        PathCase{"/a%252e%252e/x", "/a%252e%252e/x", "/a%2e%2e/x"},  // "2e" after %25 is literal
        PathCase{"/caf\xc3\xa9/%C3%A9", "/caf\xc3\xa9/%C3%A9", "/caf\xc3\xa9/\xc3\xa9"},  // high bytes kept raw
        PathCase{"/a;jsessionid=1/b", "/a;jsessionid=1/b", "/a/b"},
        PathCase{"/arcgis/rest/..;/admin", "/arcgis/rest/..;/admin", "/arcgis/admin"},  // Tomcat reads "..;" as ".."
        PathCase{"/arcgis\\admin", "/arcgis\\admin", "/arcgis/admin"},                  // IIS reads '\' as '/'
        PathCase{"/arcgis%5C..%5Cadmin", "/arcgis%5C..%5Cadmin", "/admin"},
        PathCase{"/arcgis./admin.", "/arcgis./admin.", "/arcgis/admin"},  // Windows/IIS drop trailing dots
        PathCase{"/a/b../c.../d", "/a/b../c.../d", "/a/b/c/d"},
        PathCase{"/a/../b", "/b", "/b"},
        PathCase{"/a:b@c!$&'()*+,=", "/a:b@c!$&'()*+,=", "/a:b@c!$&'()*+,="}),
    [](const auto& info) { return "case" + std::to_string(info.index); });

TEST(NormalizePathErrors, Table) {
    struct Bad {
        std::string raw;
        PathError error;
    };
    const Bad cases[] = {
        {"", PathError::not_absolute},
        {"arcgis/rest", PathError::not_absolute},
        {"*", PathError::not_absolute},
        {"http://host/x", PathError::not_absolute},
        {"/a%zz", PathError::bad_escape},
        {"/a%4", PathError::bad_escape},
        {"/a%", PathError::bad_escape},
        {"/a%g1", PathError::bad_escape},
        {"/a%%41", PathError::bad_escape},
        {"/a%00b", PathError::nul_byte},
        {"/a b", PathError::bad_character},
        {"/a\tb", PathError::bad_character},
        {"/a\x7f", PathError::bad_character},
        {std::string("/a\0b", 4), PathError::bad_character},
        {"/a\r\n", PathError::bad_character},
        {"/..", PathError::above_root},
        {"/../x", PathError::above_root},
        {"/../../../etc/passwd", PathError::above_root},
        {"/a/b/../../..", PathError::above_root},
        {"/%2e%2e/x", PathError::above_root},
        {"/arcgis/../../admin", PathError::above_root},
    };
    for (const Bad& c : cases) {
        NormalizedPath out;
        out.forward = "stale";
        out.match = "stale";
        EXPECT_EQ(normalize_path(c.raw, out), c.error) << c.raw;
        EXPECT_TRUE(out.forward.empty()) << c.raw;  // no half-normalised output left behind
        EXPECT_TRUE(out.match.empty()) << c.raw;
    }
}

TEST(NormalizePathErrors, ToString) {
    EXPECT_STREQ(to_string(PathError::none), "none");
    for (PathError e : {PathError::not_absolute, PathError::bad_escape, PathError::nul_byte, PathError::bad_character,
                        PathError::above_root, PathError::encoded_separator, PathError::backslash,
                        PathError::dot_parameter, PathError::double_escape}) {
        ASSERT_NE(to_string(e), nullptr);
        EXPECT_GT(std::string_view(to_string(e)).size(), 5u);
    }
}

// Spellings that the server behind may read differently from gisgate (Tomcat: "..;" is ".."; IIS: '\' is '/';
// a second decoding: "%252e" is "."): 400 by default, as sent with `path_escapes: keep`.
TEST(NormalizePathErrors, AmbiguousSpellingsAreRefusedByDefault) {
    struct Bad {
        const char* raw;
        PathError error;
    };
    const Bad cases[] = {
        {"/arcgis%2Fadmin", PathError::encoded_separator},
        {"/arcgis%2fadmin", PathError::encoded_separator},
        {"/arcgis/x%2F..%2F..%2Farcgis/admin", PathError::encoded_separator},
        {"/arcgis/x%5C..%5Cadmin", PathError::encoded_separator},
        {"/arcgis/x%5c..%5cadmin", PathError::encoded_separator},
        {"/arcgis/x\\..\\admin", PathError::backslash},
        {"/arcgis\\admin", PathError::backslash},
        {"/arcgis/manager/..;/rest", PathError::dot_parameter},
        {"/arcgis/manager/..%3B/rest", PathError::dot_parameter},
        {"/arcgis/manager/..%3b/rest", PathError::dot_parameter},
        {"/arcgis/manager/%2e%2e;/rest", PathError::dot_parameter},
        {"/arcgis/manager/%2E%2e;x=1/rest", PathError::dot_parameter},
        {"/arcgis/manager/.;x/rest", PathError::dot_parameter},
        {"/arcgis/manager/..;", PathError::dot_parameter},
        {"/a%252e%252e/x", PathError::double_escape},
        {"/A%252E%252E/X", PathError::double_escape},
        {"/a%25%32%65/x", PathError::double_escape},  // "%25" + decoded "2e": the same after one decoding
        {"/arcgis/%252f", PathError::double_escape},
    };
    for (const Bad& c : cases) {
        NormalizedPath out;
        EXPECT_EQ(normalize_path(c.raw, out), c.error) << c.raw;
        EXPECT_TRUE(out.forward.empty()) << c.raw;
        EXPECT_EQ(normalize_path(c.raw, out, /*keep_escapes=*/true), PathError::none) << c.raw;
    }
    // Not ambiguous: path parameters on ordinary segments, a lone %25, dots inside names.
    for (const char* raw : {"/a;jsessionid=1/b", "/a%25b", "/a%25zz", "/a%25", "/a/..b;x/c", "/a/b.;c", "/x/.../y"}) {
        NormalizedPath out;
        EXPECT_EQ(normalize_path(raw, out), PathError::none) << raw;
    }
}

TEST(NormalizePathReuse, KeepsCapacity) {
    NormalizedPath out;
    ASSERT_EQ(normalize_path("/arcgis/rest/services/Maps/Streets/MapServer/export", out), PathError::none);
    const char* fwd = out.forward.data();
    const char* match = out.match.data();
    ASSERT_EQ(normalize_path("/arcgis/rest/info", out), PathError::none);
    EXPECT_EQ(out.forward, "/arcgis/rest/info");
    EXPECT_EQ(out.forward.data(), fwd);
    EXPECT_EQ(out.match.data(), match);
}

TEST(SegmentPrefix, Rules) {
    EXPECT_TRUE(has_segment_prefix("/arcgis/rest", "/arcgis"));
    EXPECT_TRUE(has_segment_prefix("/arcgis", "/arcgis"));
    EXPECT_TRUE(has_segment_prefix("/arcgis/", "/arcgis"));
    EXPECT_FALSE(has_segment_prefix("/arcgisx", "/arcgis"));
    EXPECT_FALSE(has_segment_prefix("/arcgi", "/arcgis"));
    EXPECT_TRUE(has_segment_prefix("/ArcGIS/Rest", "/arcgis"));  // case-insensitive
    EXPECT_TRUE(has_segment_prefix("/arcgis/rest", "/ARCGIS"));
    EXPECT_TRUE(has_segment_prefix("/", "/"));
    EXPECT_TRUE(has_segment_prefix("/anything/at/all", "/"));
    EXPECT_TRUE(has_segment_prefix("/arcgis/x", "/arcgis/"));
    EXPECT_TRUE(has_segment_prefix("/arcgis/", "/arcgis/"));
    EXPECT_FALSE(has_segment_prefix("/arcgis", "/arcgis/"));  // a trailing slash prefix is literal
    EXPECT_TRUE(has_segment_prefix("/arcgis/rest/services", "/arcgis/rest"));
    EXPECT_FALSE(has_segment_prefix("/arcgis/restx", "/arcgis/rest"));
}

TEST(PrefixIcase, Rules) {
    EXPECT_TRUE(has_prefix_icase("/arcgis/administrator", "/arcgis/admin"));
    EXPECT_TRUE(has_prefix_icase("/ARCGIS/ADMIN", "/arcgis/admin"));
    EXPECT_TRUE(has_prefix_icase("/x", ""));
    EXPECT_FALSE(has_prefix_icase("/arcgis/adm", "/arcgis/admin"));
    EXPECT_FALSE(has_prefix_icase("/arcgis/rest", "/arcgis/admin"));
}

TEST(EncodePathSegment, EscapesAllButUnreserved) {
    EXPECT_EQ(encode_path_segment("job-1.a_b~"), "job-1.a_b~");
    EXPECT_EQ(encode_path_segment("a/b c?%"), "a%2Fb%20c%3F%25");
    EXPECT_EQ(encode_path_segment("\xff"), "%FF");
    EXPECT_EQ(encode_path_segment(""), "");
}

TEST(NormalizePathPolicy, EncodedBypassesAreCaught) {
    // Every spelling a client could use to reach /arcgis/admin must produce a match form the deny rule sees.
    for (const char* raw : {"/arcgis/admin", "/ARCGIS/ADMIN/", "/arcgis/%61dmin", "/arcgis%2Fadmin", "//arcgis//admin",
                            "/arcgis/rest/../admin/x", "/arcgis/rest/%2e%2e/admin", "/arcgis/./admin",
                            "/x/../arcgis/admin", "/arcgis/admin;x=1", "/arcgis/rest/..;/admin"}) {
        NormalizedPath out;
        // With `path_escapes: keep` (by default the %2F and "..;" spellings are 400 before any match).
        ASSERT_EQ(normalize_path(raw, out, /*keep_escapes=*/true), PathError::none) << raw;
        EXPECT_TRUE(has_prefix_icase(out.match, "/arcgis/admin")) << raw << " -> " << out.match;
        EXPECT_TRUE(has_segment_prefix(out.match, "/arcgis/admin")) << raw << " -> " << out.match;
    }
}

}  // namespace
}  // namespace gisgate::http
