// Internal to config/: the `tls:` sections of listeners and pools. Certificates, keys and CA files are read and
// checked here, so a missing file, a PEM that does not parse or a key that does not match its certificate is a
// `file:line:col` error at the `cert:`/`key:`/`ca:` line, in `gisgate check` as in `gisgate run`.
#pragma once

#include "config/yaml_reader.hpp"

namespace gisgate::config::detail {

ListenerTlsConfig read_listener_tls(const Reader& reader, const Field& field);
UpstreamTlsConfig read_upstream_tls(const Reader& reader, const Field& field);

}  // namespace gisgate::config::detail
