# Lumen: two commands do everything.
#   make run   — install deps, build (release), run the curriculum scripts (quick) and write the report
#   make test  — install deps, build, run the Swift and Lua tests
.PHONY: deps build run test test-deploy bench clean

APT_PACKAGES := liblua5.4-dev libreadline-dev libopenblas-dev pkg-config python3-venv
VENV_TEST := .venv-test

deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	swift build -c release

# The main job: every curriculum script in quick mode, a summary table and report/index.html.
# Full-size runs: .build/release/lumen notebooks (or one script: lumen scripts/NNN_slug.lua).
run: build
	.build/release/lumen notebooks --quick --out report
	@echo "open report/index.html in a browser to see each script's metrics, checks and figures"

# Swift unit tests run in debug (they use @testable); the Lua, CLI and REPL tests use the
# release binary, as users do.
test: deps $(VENV_TEST)/.installed
	swift build -c release
	swift build --product LumenPackageTests   # debug build of the XCTest bundle only (not the server's HTTP stack)
	swift test --skip-build
	.build/release/lumen test Tests/lua
	LUMEN=.build/release/lumen python3 Tests/repl/test_cli.py
	LUMEN=.build/release/lumen python3 Tests/repl/test_repl.py
	LUMEN=.build/release/lumen python3 Tests/repl/test_notebooks.py
	LUMEN=.build/release/lumen python3 Tests/repl/test_plot_png.py
	LUMEN=.build/release/lumen $(VENV_TEST)/bin/python Tests/deploy/test_onnx.py
	LUMEN=.build/release/lumen python3 Tests/serve/test_serve.py
	.build/release/lumen notebooks --quick --out .build/notebooks-report

# The ONNX export tests check files with onnx and onnxruntime from PyPI, installed into a
# virtualenv outside the sources (.venv-test/, ignored by git).
$(VENV_TEST)/.installed:
	python3 -m venv $(VENV_TEST)
	$(VENV_TEST)/bin/pip install -q onnxruntime onnx numpy
	touch $@

test-deploy: deps $(VENV_TEST)/.installed
	swift build -c release
	LUMEN=.build/release/lumen $(VENV_TEST)/bin/python Tests/deploy/test_onnx.py

bench: deps
	swift build -c release
	.build/release/EngineBench
	-python3 bench/numpy_ref.py
	.build/release/lumen bench/lua/ops.lua
	.build/release/lumen bench/lua/cartpole.lua
	.build/release/lumen bench/lua/train_steps.lua
	.build/release/lumen bench/lua/seq_steps.lua
	.build/release/lumen bench/lua/prune.lua
	.build/release/lumen bench/lua/quant.lua
	python3 bench/startup.py .build/release/lumen
	python3 bench/serve_load.py .build/release/lumen

clean:
	rm -rf .build
