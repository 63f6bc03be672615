# The whole set-up is `make demo` and `make test`; both install missing Debian packages first.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CTEST_ARGS ?=

.PHONY: deps build test demo bench clean

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

# Micro-benchmarks of the hot pieces (Google Benchmark). The side-by-side HAProxy/NGINX run joins later.
bench: build
	$(BUILD_DIR)/bench_micro

clean:
	rm -rf $(BUILD_DIR)
