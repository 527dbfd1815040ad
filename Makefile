# The two commands of README's quick start: `make build` and `make test`.
# Both work on a fresh Debian/Ubuntu machine with Python 3.11: they create .venv,
# install obsgen into it, and install promtool/amtool with apt-get when missing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# command:Debian package pairs `make tools` installs when the command is missing (tests run them all;
# PostgreSQL's initdb is off PATH and checked separately).
TOOLS := promtool:prometheus prometheus:prometheus amtool:prometheus-alertmanager chromium:chromium \
	chromedriver:chromium-driver redis-server:redis-server prometheus-redis-exporter:prometheus-redis-exporter \
	prometheus-postgres-exporter:prometheus-postgres-exporter \
	prometheus-blackbox-exporter:prometheus-blackbox-exporter openssl:openssl

.PHONY: build test lint tools venv conformance bench clean

build: venv tools
	$(BIN)/obsgen build

venv: $(BIN)/obsgen

$(BIN)/obsgen: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# Prometheus 3 beside the system's Prometheus 2: Debian testing's packages unpacked into the project
# (the tests run every real-tool test on both; see tests/toolchains.py).
PROM3 := .tools/prometheus-3/usr/bin

# Real tools, never mocks: the tests run promtool (and later amtool/servers).
tools: $(PROM3)/promtool
	@missing=""; \
	for t in $(TOOLS); do \
	  command -v $${t%%:*} >/dev/null 2>&1 || missing="$$missing $${t#*:}"; \
	done; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing with apt-get"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(PROM3)/promtool:
	scripts/testing-tools.sh .tools/prometheus-3

test: venv tools
	$(BIN)/python -m pytest -q
	$(BIN)/obsgen build --check
	$(BIN)/obsgen check --all-versions out

lint: venv
	$(BIN)/ruff check generator tests slo bench

conformance: venv tools
	$(BIN)/python -m pytest -q tests/conformance -o addopts=-ra

# Benchmarks (about 30 minutes; results in bench/results/, summary in BENCHMARKS.md): build
# speed, then rule evaluation against a Sloth-style baseline in a real Prometheus, 2.x then 3.x.
bench: venv tools
	$(BIN)/python -m bench.build_speed
	$(BIN)/python -m bench.rule_eval
	PATH="$(CURDIR)/$(PROM3):$$PATH" $(BIN)/python -m bench.rule_eval
	$(BIN)/python -m bench.report

clean:
	rm -rf $(VENV) build *.egg-info .tools
