// Certificate checks and the self-signed generator (the same code validates config files and makes the
// certificate of a TLS listener that has none).
#include <gtest/gtest.h>

#include <algorithm>

#include "tls/certificates.hpp"

namespace gisgate::tls {
namespace {

bool has(const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

TEST(SelfSigned, IpHostGetsAnIpNameValidForAYear) {
    const PemPair pair = make_self_signed("127.0.0.1");
    CertificateInfo info;
    ASSERT_EQ(check_certificate(pair.cert, info), "");
    EXPECT_EQ(check_key(pair.key, pair.cert), "");
    EXPECT_EQ(info.names, std::vector<std::string>{"127.0.0.1"});
    EXPECT_NE(info.subject.find("CN=127.0.0.1"), std::string::npos) << info.subject;
    EXPECT_EQ(info.chain_length, 1u);
    const auto now = std::chrono::system_clock::now();
    EXPECT_LT(info.not_before, now);
    const auto days = std::chrono::duration_cast<std::chrono::hours>(info.not_after - now).count() / 24;
    EXPECT_GE(days, 364);
    EXPECT_LE(days, 366);
}

TEST(SelfSigned, HostNameAndWildcardAddress) {
    CertificateInfo info;
    ASSERT_EQ(check_certificate(make_self_signed("gis.example.com").cert, info), "");
    EXPECT_EQ(info.names, std::vector<std::string>{"gis.example.com"});
    ASSERT_EQ(check_certificate(make_self_signed("::1").cert, info), "");
    EXPECT_EQ(info.names, std::vector<std::string>{"::1"});
    // A wildcard bind stands for this machine.
    ASSERT_EQ(check_certificate(make_self_signed("0.0.0.0").cert, info), "");
    EXPECT_TRUE(has(info.names, "localhost"));
    EXPECT_TRUE(has(info.names, "127.0.0.1"));
    EXPECT_TRUE(has(info.names, "::1"));
}

TEST(SelfSigned, EachCallMakesANewKey) {
    const PemPair a = make_self_signed("127.0.0.1");
    const PemPair b = make_self_signed("127.0.0.1");
    EXPECT_NE(a.key, b.key);
    EXPECT_NE(check_key(a.key, b.cert), "");
}

TEST(Certificates, BadInputIsExplained) {
    CertificateInfo info;
    EXPECT_NE(check_certificate("", info).find("contains no PEM certificate"), std::string::npos);
    EXPECT_NE(check_certificate("hello\n", info).find("contains no PEM certificate"), std::string::npos);
    const std::string broken = "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n";
    EXPECT_NE(check_certificate(broken, info).find("not a valid PEM certificate"), std::string::npos);

    const PemPair pair = make_self_signed("127.0.0.1");
    // A chain with a broken second certificate is refused too.
    EXPECT_NE(check_certificate(pair.cert + broken, info), "");
    EXPECT_NE(check_key("junk", pair.cert).find("not a valid PEM private key"), std::string::npos);
    EXPECT_NE(check_key(make_self_signed("127.0.0.1").key, pair.cert).find("does not match"), std::string::npos);
    EXPECT_NE(check_key("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
                        pair.cert)
                  .find("encrypted"),
              std::string::npos);
    EXPECT_EQ(check_ca(pair.cert), "");
    EXPECT_NE(check_ca(pair.key), "");  // a key is not a CA certificate
}

TEST(Certificates, ChainAndCombinedFile) {
    const PemPair leaf = make_self_signed("a.test");
    const PemPair other = make_self_signed("b.test");
    CertificateInfo info;
    ASSERT_EQ(check_certificate(leaf.cert + other.cert, info), "");
    EXPECT_EQ(info.chain_length, 2u);
    EXPECT_EQ(info.names, std::vector<std::string>{"a.test"});  // the leaf's
    // Key and certificate in one file (key first) also works.
    EXPECT_EQ(check_certificate(leaf.key + leaf.cert, info), "");
    EXPECT_EQ(check_key(leaf.key + leaf.cert, leaf.cert), "");
}

TEST(Certificates, Ciphers) {
    EXPECT_EQ(check_ciphers(kDefaultCiphers), "");
    EXPECT_EQ(check_ciphersuites(kDefaultCiphersuites), "");
    EXPECT_NE(check_ciphers("NOT-A-CIPHER"), "");
    EXPECT_NE(check_ciphers(""), "");
    EXPECT_NE(check_ciphersuites("TLS_FAKE_SUITE"), "");
}

TEST(Certificates, NameMatching) {
    EXPECT_TRUE(name_matches("gis.example.com", "gis.example.com"));
    EXPECT_TRUE(name_matches("GIS.example.com", "gis.example.com"));
    EXPECT_FALSE(name_matches("gis.example.com", "portal.example.com"));
    EXPECT_TRUE(name_matches("*.example.com", "portal.example.com"));
    EXPECT_FALSE(name_matches("*.example.com", "example.com"));
    EXPECT_FALSE(name_matches("*.example.com", "a.b.example.com"));  // one label only
    EXPECT_FALSE(name_matches("*.example.com", ".example.com"));
}

}  // namespace
}  // namespace gisgate::tls
