# The whole set-up is `make demo` and `make test`; both install missing Debian packages first.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CTEST_ARGS ?=

.PHONY: deps deps-test build test demo bench bench-micro bench-cache bench-ceiling bench-https bench-classes bench-autolimit clean fuzz soak test-asan test-tsan \
  package package-test

deps:
	@scripts/install-deps

# `make test` also installs clang with libFuzzer, so the smoke fuzzing always runs in CI.
deps-test:
	@scripts/install-deps --fuzz

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: deps-test build
	cd $(BUILD_DIR) && ctest --output-on-failure --timeout 300 -j $(JOBS) $(CTEST_ARGS)

demo: build
	$(BUILD_DIR)/gisgate demo

# The Debian package gisgate_<version>_<arch>.deb, written to $(BUILD_DIR) by CPack (docs/packaging.md).
package: build
	cd $(BUILD_DIR) && cpack -G DEB

# Builds the package (in a temp dir) and checks it: control data, contents, the shipped config with the packaged
# binary in a scratch root, the systemd unit (tests/package/run; ctest runs it too, label `package`).
package-test: build
	tests/package/run $(BUILD_DIR)

# Side-by-side run against HAProxy and NGINX on loopback (< 5 min; see bench/README.md) with the
# micro-benchmarks, HTTPS (~13 min), the tile cache and its hit ceiling (~3 min), the operation classes
# benchmark (~3 min) and the adaptive limit benchmark (~3 min). Each script writes its own file in bench/results/;
# bench/lib/collect_latest.sh then appends the HTTPS and cache reports to bench/results/latest.md, the one record
# of the run. BENCH_QUICK=1 make bench for a short smoke run.
bench: build
	@scripts/install-deps --bench
	cmake --build $(BUILD_DIR) -j $(JOBS) --target bench_micro tls_idle_floor
	GISGATE_BIN=$(BUILD_DIR)/gisgate bench/run
	GISGATE_BIN=$(BUILD_DIR)/gisgate TLS_FLOOR_BIN=$(BUILD_DIR)/tls_idle_floor bench/https
	GISGATE_BIN=$(BUILD_DIR)/gisgate bench/cache
	GISGATE_BIN=$(BUILD_DIR)/gisgate bench/classes
	GISGATE_BIN=$(BUILD_DIR)/gisgate bench/autolimit
	bench/lib/collect_latest.sh

# Tile cache: gisgate without and with `cache:` and NGINX proxy_cache on a 90 %-hit tile workload, then the hit
# ceiling: 100 % hot tiles, gisgate's cache against NGINX static files, NGINX proxy_cache and Varnish (~3 min;
# also part of `make bench`). BENCH_CACHE_PARTS="mix" or "hit" runs one part.
bench-cache: build
	@scripts/install-deps --bench
	GISGATE_BIN=$(BUILD_DIR)/gisgate bench/cache

# Small JSON through one proxy thread vs a layer-4 relay of the same proxies: the ceiling on this machine (~2.5 min).
bench-ceiling: build
	@scripts/install-deps --bench
	GISGATE_BIN=$(BUILD_DIR)/gisgate bench/ceiling

# HTTPS: gisgate, HAProxy and NGINX terminating TLS to the same backend, one thread each: HTTP/2 (h2load), HTTPS
# keep-alive, re-encryption (each against HAProxy's layer-4 relay, the ceiling), tile cache hits against NGINX
# static files, full and resumed handshakes, idle HTTPS connections against a bare OpenSSL server (the floor)
# (~14 min; also part of `make bench`).
bench-https: build
	@scripts/install-deps --bench
	cmake --build $(BUILD_DIR) -j $(JOBS) --target tls_idle_floor
	GISGATE_BIN=$(BUILD_DIR)/gisgate TLS_FLOOR_BIN=$(BUILD_DIR)/tls_idle_floor bench/https

# Operation classes (#18): interactive P95 beside saturating heavy work, gisgate vs HAProxy, CPU-model sims (~3 min).
bench-classes: build
	@scripts/install-deps --bench
	GISGATE_BIN=$(BUILD_DIR)/gisgate bench/classes

# max_active_per_server: auto against fixed limits on a 2- and a 4-instance sim (~3 min, bench/autolimit).
bench-autolimit: build
	@scripts/install-deps --bench
	GISGATE_BIN=$(BUILD_DIR)/gisgate bench/autolimit

# Micro-benchmarks of the hot pieces only (Google Benchmark).
bench-micro: build
	cmake --build $(BUILD_DIR) -j $(JOBS) --target bench_micro
	$(BUILD_DIR)/bench_micro

# libFuzzer targets built with clang in build-fuzz/, each run for FUZZ_SECONDS (default 300). New inputs go to
# build-fuzz/corpus/, crashes to build-fuzz/crashes/ (see tests/fuzz/run). `make test` runs each for 20 s.
FUZZ_SECONDS ?= 300
FUZZ_TARGETS := request_head response_head chunked path config proxy_protocol h2_frames
fuzz: deps
	@scripts/install-deps --fuzz
	cmake -S tests/fuzz -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build-fuzz -j $(JOBS)
	@for t in $(FUZZ_TARGETS); do tests/fuzz/run build-fuzz $$t $(FUZZ_SECONDS) || exit 1; done

# The fault-injection soak alone, with its report (GISGATE_SOAK_SECONDS, default 60).
soak: build
	$(BUILD_DIR)/tests/test_soak

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer, and under ThreadSanitizer, each in its
# own build directory. The tests start the gisgate binary as a child process, so it is sanitized too. Reports
# go to <build>/sanitizer-reports/ (a child's report would otherwise only be in its temporary log), and any
# report fails the target even when the test that provoked it passed. Tests labelled `wallclock` start gisgate
# or a sim and wait on deadlines sized for normal builds, so one that misses them under the sanitizers'
# slowdown gets a second try (--repeat until-pass:2; reports are still caught); unit tests get one try.
# Build type "Sanitize" has no flags of its own: -O1 -g1 (what the sanitizers recommend, and quicker to compile).
# -Wno-tsan: GCC warns for every atomic_thread_fence inside Asio's fenced blocks (TSan does not model fences;
# Asio's own synchronisation around them is mutexes and atomics, which TSan does see).
SAN_CMAKE := -G Ninja -DCMAKE_BUILD_TYPE=Sanitize -DGISGATE_BENCH=OFF -DGISGATE_FUZZ=OFF
# The soak runs 30 s under the sanitizers (60 s in `make test`): it runs alone, and twice 30 s of one idle core
# is what keeps .ci/run inside its 45 minutes; half a minute of faults is still thousands of requests.
# The `package` test (cpack of a sanitized binary, ~110 s under ASan) checks packaging, not memory or threads:
# `make test` runs it.
SAN_CTEST := ctest --output-on-failure --timeout 900 -j $(JOBS) -LE 'wallclock|package' $(CTEST_ARGS) && \
  GISGATE_SOAK_SECONDS=30 ctest --output-on-failure --timeout 900 -j $(JOBS) -L wallclock --repeat until-pass:2 $(CTEST_ARGS)
test-asan: deps
	cmake -S . -B build-asan $(SAN_CMAKE) \
	  -DCMAKE_CXX_FLAGS="-O1 -g1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
	  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined"
	cmake --build build-asan -j $(JOBS)
	rm -rf build-asan/sanitizer-reports && mkdir -p build-asan/sanitizer-reports
	cd build-asan && export ASAN_OPTIONS=detect_leaks=1:log_path=$(CURDIR)/build-asan/sanitizer-reports/asan \
	  UBSAN_OPTIONS=print_stacktrace=1:log_path=$(CURDIR)/build-asan/sanitizer-reports/ubsan && $(SAN_CTEST)
	@scripts/sanitizer-reports build-asan/sanitizer-reports

test-tsan: deps
	cmake -S . -B build-tsan $(SAN_CMAKE) \
	  -DCMAKE_CXX_FLAGS="-O1 -g1 -fsanitize=thread -fno-omit-frame-pointer -Wno-tsan" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread"
	cmake --build build-tsan -j $(JOBS)
	rm -rf build-tsan/sanitizer-reports && mkdir -p build-tsan/sanitizer-reports
	cd build-tsan && export TSAN_OPTIONS="second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp log_path=$(CURDIR)/build-tsan/sanitizer-reports/tsan" \
	  && $(SAN_CTEST)
	@scripts/sanitizer-reports build-tsan/sanitizer-reports

clean:
	rm -rf $(BUILD_DIR) build-fuzz build-asan build-tsan
