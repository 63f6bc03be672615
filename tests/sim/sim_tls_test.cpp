// HTTPS sites: a self-signed certificate for the listen address (as GIS servers ship), or a given one.
#include <gtest/gtest.h>

#include "sim/png.hpp"
#include "sim_fixture.hpp"
#include "support/tls_client.hpp"
#include "tls/certificates.hpp"

namespace gisgate::sim::testing {
namespace {

using gisgate::test::TlsClient;

TEST(SimTls, SelfSignedForTheListenAddress) {
    SimOptions o = local_options("secure");
    o.tls_self_signed = true;
    SimServer site(o);
    EXPECT_TRUE(site.tls());
    TlsClient client(site.port());
    ASSERT_TRUE(client.connected()) << client.error();
    EXPECT_NE(client.peer_subject().find("CN=127.0.0.1"), std::string::npos) << client.peer_subject();
    // Keep-alive and a streamed (chunked) image over TLS.
    EXPECT_EQ(client.request("GET", "/arcgis/rest/info/healthcheck").status, 200);
    const auto image = client.request("GET", "/arcgis/rest/services/SampleWorldCities/MapServer/export?"
                                             "bbox=-180,-90,180,90&size=300,200&f=image");
    EXPECT_EQ(image.status, 200);
    EXPECT_EQ(image.body.size(), stored_png_size(300, 200));
    EXPECT_EQ(client.request("GET", "/arcgis/rest/info/healthcheck").header("X-Gisgate-Sim-Site"), "secure");
    // Plain HTTP gets no answer from an HTTPS site.
    HttpClient plain(site.port());
    plain.send_raw("GET /arcgis/rest/info/healthcheck HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(plain.read_response(false, std::chrono::seconds(10)).status, 0);
}

TEST(SimTls, GivenCertificateAndBadFiles) {
    const auto pair = tls::make_self_signed("127.0.0.1");
    SimOptions o = local_options();
    o.tls_cert_file = test::write_temp_file("sim-tls/cert.pem", pair.cert);
    o.tls_key_file = test::write_temp_file("sim-tls/key.pem", pair.key);
    {
        SimServer site(o);
        TlsClient client(site.port(), {.ca_pem = pair.cert, .verify_name = "127.0.0.1"});
        ASSERT_TRUE(client.connected()) << client.error();
        EXPECT_EQ(client.peer_certificate_pem(), pair.cert);
    }
    o.tls_key_file = test::write_temp_file("sim-tls/other.pem", tls::make_self_signed("127.0.0.1").key);
    try {
        SimServer site(o);
        ADD_FAILURE() << "a key that does not match must be refused";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("does not match"), std::string::npos) << e.what();
    }
    o.tls_cert_file = "/nonexistent/cert.pem";
    EXPECT_THROW(SimServer{o}, std::runtime_error);
}

}  // namespace
}  // namespace gisgate::sim::testing
