// The rollout hook as a child process: `/bin/sh -c COMMAND` started with posix_spawn in a process group of its
// own, stdin /dev/null, stdout and stderr into one pipe (the last kMaxHookOutput bytes are kept), no other
// descriptor of gisgate inherited. Its end is awaited through a pidfd on the control io_context, so nothing
// blocks and no SIGCHLD handler is installed (`gisgate demo` waits for its sim children by pid, undisturbed).
// The timeout and destroying the run kill the whole group with SIGKILL; a destroyed run is still reaped.
#pragma once

#include <memory>

#include "net/asio.hpp"
#include "rollout/rollout.hpp"

namespace gisgate::rollout {

std::unique_ptr<HookRun> start_hook_process(asio::io_context& control, HookRequest request, HookDone done);

}  // namespace gisgate::rollout
