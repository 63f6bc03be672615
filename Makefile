# The whole set-up is `make demo` and `make test`; both install missing Debian packages first.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CTEST_ARGS ?=

.PHONY: deps build test demo bench bench-micro bench-cache clean

deps:
	@scripts/install-deps

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure --timeout 300 -j $(JOBS) $(CTEST_ARGS)

demo: build
	$(BUILD_DIR)/gisgate demo

# Side-by-side run against HAProxy and NGINX on loopback (< 5 min; see bench/README.md), then the
# micro-benchmarks. BENCH_QUICK=1 make bench for a short smoke run.
bench: build
	@scripts/install-deps --bench
	GISGATE_BIN=$(BUILD_DIR)/gisgate bench/run

# Tile cache: gisgate without and with `cache:` and NGINX proxy_cache on a 90 %-hit tile workload (~45 s).
bench-cache: build
	@scripts/install-deps --bench
	GISGATE_BIN=$(BUILD_DIR)/gisgate bench/cache

# Micro-benchmarks of the hot pieces only (Google Benchmark).
bench-micro: build
	$(BUILD_DIR)/bench_micro

clean:
	rm -rf $(BUILD_DIR)
