// The process's file descriptor limit. Every client connection and every upstream connection is one
// descriptor, and the usual soft limit (1024) would make accept fail long before the machine is busy.
#pragma once

#include <cstdint>

namespace gisgate::net {

struct FdLimit {
    std::uint64_t soft = 0;  // after raising
    std::uint64_t hard = 0;
};

// Raises the soft RLIMIT_NOFILE to the hard limit (never lowers it) and returns both.
FdLimit raise_fd_limit();

}  // namespace gisgate::net
