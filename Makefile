# Tollgate — the two commands that matter on a fresh Debian 12 machine:
#   make run    install what is needed, build, and run the demo (gateway on http://127.0.0.1:8000)
#   make test   install what is needed, build, and run every test (unit + end to end)
# Installing uses apt-get and npm (scripts/setup.sh): run as root or with sudo available.

BUILD_DIR  ?= build
BUILD_TYPE ?= RelWithDebInfo
WERROR     ?= OFF
CMAKE_ARGS ?=
CTEST_ARGS ?=
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all setup configure build test test-unit test-e2e run clean distclean

all: build

setup:
	scripts/setup.sh

configure: setup
	cmake -S . -B $(BUILD_DIR) -G Ninja \
	  -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
	  -DTOLLGATE_WERROR=$(WERROR) \
	  $(CMAKE_ARGS)

build: configure
	ninja -C $(BUILD_DIR)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) $(CTEST_ARGS)

test-unit: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) -LE e2e $(CTEST_ARGS)

test-e2e: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -L e2e $(CTEST_ARGS)

run: build
	scripts/run-demo.sh

clean:
	rm -rf $(BUILD_DIR)

# Also the npm packages and the demo's data.
distclean: clean
	rm -rf node_modules data
