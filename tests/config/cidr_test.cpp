// Cidr: parsing, host-bit masking, and membership for v4, v6 and IPv4-mapped IPv6 clients.
#include <arpa/inet.h>

#include <gtest/gtest.h>

#include "config/cidr.hpp"

namespace gisgate::config {
namespace {

Cidr cidr(const char* text) {
    auto c = Cidr::parse(text);
    EXPECT_TRUE(c) << text;
    return c.value_or(Cidr{});
}

TEST(Cidr, ParsesAndPrints) {
    EXPECT_EQ(cidr("10.0.0.0/8").to_string(), "10.0.0.0/8");
    EXPECT_EQ(cidr("127.0.0.1").to_string(), "127.0.0.1/32");
    EXPECT_EQ(cidr("0.0.0.0/0").to_string(), "0.0.0.0/0");
    EXPECT_EQ(cidr("::1").to_string(), "::1/128");
    EXPECT_EQ(cidr("::/0").to_string(), "::/0");
    EXPECT_EQ(cidr("2001:DB8::/32").to_string(), "2001:db8::/32");
    // Host bits are cleared: what is printed is what is matched.
    EXPECT_EQ(cidr("10.1.2.3/8").to_string(), "10.0.0.0/8");
    EXPECT_EQ(cidr("192.168.255.255/23").to_string(), "192.168.254.0/23");
    EXPECT_EQ(cidr("fdff:ffff::1/7").to_string(), "fc00::/7");
    // A mapped-IPv6 network is the IPv4 network.
    EXPECT_EQ(cidr("::ffff:10.0.0.0/104").to_string(), "10.0.0.0/8");
    EXPECT_EQ(cidr("::ffff:0:0/96").to_string(), "0.0.0.0/0");
}

TEST(Cidr, RejectsMalformed) {
    for (const char* text : {"", "/8", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0.0/+8",
                             "10.0.0.0/8/8", "10.0.0/8", "10.0.0.256/32", "host/8", "10.0.0.0 /8", "fe80::1%eth0/64",
                             "10.0.0.0/8x", "1:2:3:4:5:6:7:8:9/64", "10.0.0.0/99999999999"}) {
        EXPECT_FALSE(Cidr::parse(text)) << text;
    }
}

TEST(Cidr, V4Membership) {
    auto all = cidr("0.0.0.0/0");
    EXPECT_TRUE(all.contains("0.0.0.0"));
    EXPECT_TRUE(all.contains("255.255.255.255"));
    EXPECT_FALSE(all.contains("::1"));  // /0 of IPv4 is still only IPv4

    auto host = cidr("192.168.1.10/32");
    EXPECT_TRUE(host.contains("192.168.1.10"));
    EXPECT_FALSE(host.contains("192.168.1.11"));
    EXPECT_FALSE(host.contains("192.168.1.9"));

    auto seven = cidr("10.0.0.0/7");  // 10.0.0.0 – 11.255.255.255
    EXPECT_TRUE(seven.contains("10.0.0.0"));
    EXPECT_TRUE(seven.contains("11.255.255.255"));
    EXPECT_FALSE(seven.contains("9.255.255.255"));
    EXPECT_FALSE(seven.contains("12.0.0.0"));

    auto net = cidr("172.16.0.0/12");
    EXPECT_TRUE(net.contains("172.31.255.255"));
    EXPECT_FALSE(net.contains("172.32.0.0"));
}

TEST(Cidr, V6Membership) {
    auto all = cidr("::/0");
    EXPECT_TRUE(all.contains("::"));
    EXPECT_TRUE(all.contains("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
    EXPECT_FALSE(all.contains("10.0.0.1"));

    auto loopback = cidr("::1/128");
    EXPECT_TRUE(loopback.contains("::1"));
    EXPECT_FALSE(loopback.contains("::2"));
    EXPECT_FALSE(loopback.contains("127.0.0.1"));

    auto ula = cidr("fc00::/7");  // fc00:: – fdff:...
    EXPECT_TRUE(ula.contains("fc00::"));
    EXPECT_TRUE(ula.contains("fd12:3456::1"));
    EXPECT_TRUE(ula.contains("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
    EXPECT_FALSE(ula.contains("fe00::"));
    EXPECT_FALSE(ula.contains("fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));

    auto doc = cidr("2001:db8::/33");
    EXPECT_TRUE(doc.contains("2001:db8:7fff::1"));
    EXPECT_FALSE(doc.contains("2001:db8:8000::1"));
}

TEST(Cidr, MappedAddressesAreTestedAsV4) {
    auto net = cidr("10.0.0.0/8");
    EXPECT_TRUE(net.contains("::ffff:10.1.2.3"));
    EXPECT_FALSE(net.contains("::ffff:11.1.2.3"));
    EXPECT_TRUE(cidr("0.0.0.0/0").contains("::ffff:192.0.2.1"));
    EXPECT_FALSE(cidr("::/0").contains("::ffff:192.0.2.1"));
    EXPECT_TRUE(cidr("127.0.0.1/32").contains("::ffff:127.0.0.1"));

    // The byte-level entry point the proxy uses with sockaddr data.
    std::uint8_t mapped[16];
    ASSERT_EQ(inet_pton(AF_INET6, "::ffff:10.9.8.7", mapped), 1);
    EXPECT_TRUE(net.contains(mapped, 16));
    std::uint8_t v4[4];
    ASSERT_EQ(inet_pton(AF_INET, "10.9.8.7", v4), 1);
    EXPECT_TRUE(net.contains(v4, 4));
    EXPECT_FALSE(net.contains(v4, 3));  // neither IPv4 nor IPv6 length
    // A mapped-IPv6 network written in the config matches plain IPv4 clients too.
    EXPECT_TRUE(cidr("::ffff:10.0.0.0/104").contains("10.200.0.1"));
}

TEST(Cidr, ContainsRejectsGarbage) {
    EXPECT_FALSE(cidr("0.0.0.0/0").contains("not an address"));
    EXPECT_FALSE(cidr("::/0").contains(""));
    EXPECT_FALSE(cidr("0.0.0.0/0").contains("10.0.0.0/8"));
}

}  // namespace
}  // namespace gisgate::config
