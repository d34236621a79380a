# Lumen: two commands do everything.
#   make run   — install deps, build (release), run the main job
#   make test  — install deps, build, run the Swift and Lua tests
.PHONY: deps build run test bench clean

APT_PACKAGES := liblua5.4-dev libreadline-dev libopenblas-dev pkg-config

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

run: build
	.build/release/lumen examples/demo.lua

# Swift unit tests run in debug (they use @testable); the Lua, CLI and REPL tests use the
# release binary, as users do.
test: deps
	swift build -c release
	swift test
	.build/release/lumen test Tests/lua
	LUMEN=.build/release/lumen python3 Tests/repl/test_cli.py
	LUMEN=.build/release/lumen python3 Tests/repl/test_repl.py
	LUMEN=.build/release/lumen python3 Tests/serve/test_serve.py

bench: deps
	swift build -c release
	.build/release/EngineBench
	-python3 bench/numpy_ref.py
	.build/release/lumen bench/lua/ops.lua
	.build/release/lumen bench/lua/cartpole.lua
	.build/release/lumen bench/lua/train_steps.lua
	.build/release/lumen bench/lua/seq_steps.lua
	python3 bench/startup.py .build/release/lumen
	python3 bench/serve_load.py .build/release/lumen

clean:
	rm -rf .build
