// A response head as HEADERS carries it: the status, lower-case names, connection-specific fields dropped.
#include "h2/response_fields.hpp"

#include <gtest/gtest.h>

#include <string>

namespace gisgate::h2 {
namespace {

TEST(ResponseFields, NamesAreLoweredAndConnectionSpecificFieldsDropped) {
    ResponseFields f;
    f.start(302);
    f.add("Location", "https://gis.example.com/Server/rest");
    f.add("Connection", "close");
    f.add("Keep-Alive", "timeout=5");
    f.add("Transfer-Encoding", "chunked");
    f.add("Upgrade", "h2c");
    f.add("Proxy-Connection", "keep-alive");
    f.add("Set-Cookie", "a=1; Path=/");
    f.add("Set-Cookie", "b=2");
    f.add("X-Empty", "");
    EXPECT_EQ(f.status(), "302");
    ASSERT_EQ(f.size(), 4u);
    EXPECT_EQ(f.name(0), "location");
    EXPECT_EQ(f.value(0), "https://gis.example.com/Server/rest") << "values keep their case";
    EXPECT_EQ(f.name(1), "set-cookie");
    EXPECT_EQ(f.value(1), "a=1; Path=/");
    EXPECT_EQ(f.name(2), "set-cookie");
    EXPECT_EQ(f.value(2), "b=2");
    EXPECT_EQ(f.name(3), "x-empty");
    EXPECT_EQ(f.value(3), "");
}

TEST(ResponseFields, ANewHeadStartsEmptyAndManyFieldsStayIntact) {
    ResponseFields f;
    f.start(200);
    f.add("A", "1");
    f.start(404);
    EXPECT_EQ(f.status(), "404");
    EXPECT_EQ(f.size(), 0u);
    // The storage grows as fields come: views taken after the last add see every field whole.
    for (int i = 0; i < 200; ++i)
        f.add("X-Field-" + std::to_string(i), std::string(100, static_cast<char>('a' + i % 26)));
    ASSERT_EQ(f.size(), 200u);
    for (int i = 0; i < 200; ++i) {
        EXPECT_EQ(f.name(i), "x-field-" + std::to_string(i));
        EXPECT_EQ(f.value(i), std::string(100, static_cast<char>('a' + i % 26)));
    }
}

TEST(ResponseFields, AStatusOutOfRangeIsWrittenAsThreeZeros) {
    ResponseFields f;
    f.start(42);
    EXPECT_EQ(f.status(), "000");
}

}  // namespace
}  // namespace gisgate::h2
