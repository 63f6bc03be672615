// Layer-4 relay throughput on loopback: splice(2) through a pipe versus a read/write loop through a 64 KiB block
// (net/relay.hpp). A writer thread sends 256 MiB into one socket pair, the relay moves it to a second pair on an
// io_context in the benchmark thread, a reader thread drains it. Bytes/s is what to compare.
//   ./bench_micro --benchmark_filter=Relay
#include <benchmark/benchmark.h>

#include <thread>

#include "net/buffer_pool.hpp"
#include "net/relay.hpp"

namespace {

using namespace gisgate;

struct Pair {
    tcp::socket near;
    tcp::socket far;
};

Pair connected_pair(asio::io_context& io) {
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    tcp::socket far(io);
    far.connect(acceptor.local_endpoint());
    tcp::socket near = acceptor.accept();
    return {std::move(near), std::move(far)};
}

constexpr std::size_t kBytes = 256u << 20;

template <bool Splice>
void BM_Relay(benchmark::State& state) {
    std::vector<char> chunk(1 << 20, 'x');
    net::BufferPool buffers;
    for (auto _ : state) {
        asio::io_context io;
        Pair in = connected_pair(io);
        Pair out = connected_pair(io);
        std::thread writer([&] {
            for (std::size_t sent = 0; sent < kBytes; sent += chunk.size()) asio::write(in.far, asio::buffer(chunk));
            in.far.shutdown(tcp::socket::shutdown_send);
        });
        std::thread reader([&] {
            std::vector<char> sink(1 << 20);
            error_code ec;
            while (!ec) out.far.read_some(asio::buffer(sink), ec);
        });
        net::Pipe pipe;
        pipe.open();
        auto block = buffers.acquire();
        net::RelayProgress progress;
        auto run = [&]() -> awaitable<void> {
            if (Splice) co_await net::relay_splice(in.near, out.near, pipe, progress);
            else co_await net::relay_copy(in.near, out.near, block.get(), net::BufferPool::kBlockSize, progress);
        };
        asio::co_spawn(io, run(), asio::detached);
        io.run();
        writer.join();
        reader.join();
        if (progress.bytes != kBytes) state.SkipWithError("short relay");
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kBytes));
}

BENCHMARK_TEMPLATE(BM_Relay, true)->Name("Relay/splice")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_Relay, false)->Name("Relay/read_write")->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
