#include "support/process_quiet.hpp"

#include <dirent.h>
#include <unistd.h>

#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "support/process.hpp"

namespace gisgate::test {

double cpu_seconds(pid_t pid) {
    std::ifstream in(fmt::format("/proc/{}/stat", pid));
    std::string text;
    if (!std::getline(in, text)) return -1;
    // Fields after the command name, which is in parentheses and may contain spaces: state is field 3,
    // utime and stime are fields 14 and 15.
    const auto close = text.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream rest(text.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14) utime = std::stoull(field);
        if (i == 15) stime = std::stoull(field);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

int open_fds(pid_t pid) {
    DIR* dir = ::opendir(fmt::format("/proc/{}/fd", pid).c_str());
    if (!dir) return -1;
    int n = 0;
    while (const dirent* e = ::readdir(dir))
        if (e->d_name[0] != '.') ++n;
    ::closedir(dir);
    return n - 1;  // the descriptor opendir() itself holds
}

std::string quiet_and_back_to_baseline(pid_t pid, int baseline_fds, std::chrono::milliseconds window,
                                       double max_core_share, std::chrono::milliseconds settle) {
    int fds = -1;
    const bool back = eventually([&] {
        fds = open_fds(pid);
        return fds >= 0 && fds <= baseline_fds;
    }, settle);
    std::string problems;
    if (!back) problems += fmt::format("open fds {} after {} ms, baseline {}; ", fds, settle.count(), baseline_fds);
    const double before = cpu_seconds(pid);
    const auto started = std::chrono::steady_clock::now();
    // A measurement window, not a synchronisation: CPU use is a rate and needs an interval.
    std::this_thread::sleep_for(window);
    const double used = cpu_seconds(pid) - before;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (before < 0 || used < 0) return problems + "process gone";
    if (used > max_core_share * elapsed)
        problems += fmt::format("CPU {:.0f} ms over {:.1f} s (limit {:.0f} % of a core)", used * 1000, elapsed,
                                max_core_share * 100);
    return problems;
}

}  // namespace gisgate::test
