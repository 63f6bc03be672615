// Whether this test binary (and so the gisgate binary built with it) runs under a sanitizer. Timing and
// memory figures mean nothing there (ThreadSanitizer slows code 5-15x, AddressSanitizer keeps freed memory in
// quarantine), so tests report them but assert them only in normal builds.
#pragma once

namespace gisgate::test {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
#else
inline constexpr bool kSanitized = false;
#endif

}  // namespace gisgate::test
