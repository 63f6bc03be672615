// After a hostile-client or hostile-server case: is the gisgate process idle again (no spinning worker) and
// are its file descriptors back to what they were before the case (no leaked session or server socket)?
// Every such test calls quiet_and_back_to_baseline().
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

namespace gisgate::test {

// CPU time (user + system) the process has used so far, from /proc/<pid>/stat; negative if it is gone.
double cpu_seconds(pid_t pid);
// Open file descriptors of the process (entries of /proc/<pid>/fd); -1 if it is gone.
int open_fds(pid_t pid);

// Waits (up to `settle`) until the process has at most `baseline_fds` descriptors open, then measures its CPU
// use over `window`. Returns "" when both hold (fds back to baseline, CPU below `max_core_share` of one core),
// else what did not, with the figures.
std::string quiet_and_back_to_baseline(pid_t pid, int baseline_fds,
                                       std::chrono::milliseconds window = std::chrono::seconds(2),
                                       double max_core_share = 0.05,
                                       std::chrono::milliseconds settle = std::chrono::seconds(20));

}  // namespace gisgate::test
