// Included by support/process.hpp.
#pragma once

#include <chrono>
#include <thread>

namespace gisgate::test {

template <class F>
bool eventually(F&& condition, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (condition())
            return true;
        if (std::chrono::steady_clock::now() >= deadline)
            return static_cast<bool>(condition());
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

}  // namespace gisgate::test
