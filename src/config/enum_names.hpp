// One name table per enumerated setting: the loader parses with it, `to_yaml` (gisgate check) prints with it,
// and status JSON can name values with it, so adding a value (a balancing algorithm, say) is one table line here
// plus its implementation.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace gisgate::config {

template <class T>
struct Named {
    T value;
    std::string_view name;
};

inline constexpr Named<BalanceAlgorithm> kBalanceNames[] = {{BalanceAlgorithm::round_robin, "round_robin"},
                                                            {BalanceAlgorithm::least_conn, "least_conn"}};
inline constexpr Named<OperationClass> kOperationClassNames[] = {{OperationClass::interactive, "interactive"},
                                                                {OperationClass::other, "other"},
                                                                {OperationClass::heavy, "heavy"}};
inline constexpr Named<ListenerMode> kListenerModeNames[] = {{ListenerMode::http, "http"}, {ListenerMode::tcp, "tcp"}};
inline constexpr Named<OnDrift> kOnDriftNames[] = {{OnDrift::warn, "warn"}, {OnDrift::drain, "drain"}};
inline constexpr Named<Sticky> kStickyNames[] = {{Sticky::cookie, "cookie"}, {Sticky::none, "none"}};
inline constexpr Named<SendProxy> kSendProxyNames[] = {{SendProxy::off, "off"}, {SendProxy::v1, "v1"},
                                                      {SendProxy::v2, "v2"}};
inline constexpr Named<HealthCheckType> kHealthTypeNames[] = {{HealthCheckType::http, "http"},
                                                              {HealthCheckType::tcp, "tcp"}};
inline constexpr Named<AccessLogFormat> kAccessLogFormatNames[] = {{AccessLogFormat::text, "text"},
                                                                  {AccessLogFormat::json, "json"}};
// Settings that are a yes/no in the structs but words in the file.
inline constexpr Named<bool> kPathEscapesNames[] = {{false, "reject"}, {true, "keep"}};           // keep_path_escapes
inline constexpr Named<bool> kRewriteLocationNames[] = {{true, "auto"}, {false, "off"}};        // rewrite_location
inline constexpr Named<bool> kTraceparentNames[] = {{true, "create"}, {false, "propagate"}};    // tracing.traceparent

template <class T, std::size_t N>
constexpr std::string_view name_of(const Named<T> (&table)[N], T value) {
    for (const auto& entry : table)
        if (entry.value == value) return entry.name;
    return table[0].name;
}

template <class T, std::size_t N>
constexpr std::optional<T> value_of(const Named<T> (&table)[N], std::string_view name) {
    for (const auto& entry : table)
        if (entry.name == name) return entry.value;
    return std::nullopt;
}

// "round_robin or least_conn", "a, b or c": the choices, for error messages.
template <class T, std::size_t N>
std::string choices_of(const Named<T> (&table)[N]) {
    std::string out;
    for (std::size_t i = 0; i < N; ++i) {
        if (i > 0) out += i + 1 == N ? " or " : ", ";
        out += table[i].name;
    }
    return out;
}

}  // namespace gisgate::config
