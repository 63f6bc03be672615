// `gisgate sim`: a SimServer in the foreground until SIGTERM/SIGINT.
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <thread>

#include "sim/sim.hpp"

namespace gisgate::sim {

int run_sim(const SimOptions& options) {
    // The signal set exists before the server so a signal right after "listening" is not lost.
    boost::asio::io_context signals_ioc(1);
    boost::asio::signal_set signals(signals_ioc, SIGINT, SIGTERM);
    SimServer server(options);
    // Tests and scripts wait for this exact line to learn the port.
    std::printf("listening: %s %s\n", server.name().c_str(), server.address().c_str());
    std::fflush(stdout);
    spdlog::info("sim {}: serving {} on {} ({} instances, jobs take {} ms{})", server.name(),
                 server.tls() ? "https" : "http", server.address(),
                 options.instances ? options.instances : std::max(1u, std::thread::hardware_concurrency()),
                 options.job_duration.count(),
                 options.catalog_file.empty() ? std::string() : ", catalog " + options.catalog_file);
    int received = 0;
    signals.async_wait([&](const boost::system::error_code& ec, int sig) {
        if (!ec)
            received = sig;
    });
    signals_ioc.run();
    spdlog::info("sim {}: signal {}, stopping", server.name(), received);
    server.stop();
    return 0;
}

}  // namespace gisgate::sim
