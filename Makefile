# The two commands: `make demo` runs the nightly pipeline end to end; `make test` runs the suite.
# Each creates the virtual environment first if it is missing or older than pyproject.toml.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: demo test test-fast test-slow lint lock browser ui clean

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	# pyspark-client (the Spark provider's) ships a pyspark package of another version than the
	# jars: pyspark's own Python files back, or Python UDFs fail against the JVM.
	$(BIN)/python -m pip install --quiet --no-deps --force-reinstall -c constraints.txt pyspark
	touch $@

# constraints.txt: what a fresh venv installs from pyproject.toml alone, every version pinned.
LOCK_VENV := var/lock-venv
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/python -m pip install --quiet -e ".[dev]"
	{ sed -n '1,2p' constraints.txt; $(LOCK_VENV)/bin/python -m pip freeze --exclude-editable; } > constraints.new
	mv constraints.new constraints.txt
	rm -rf $(LOCK_VENV)

demo: $(VENV)/.installed
	$(BIN)/python -m alliance_pipeline.local.demo $(ARGS)

test: $(VENV)/.installed lint browser
	$(BIN)/pytest $(ARGS)

# The fast tiers (unit, DAG integrity): no server, a few minutes.
test-fast: $(VENV)/.installed
	$(BIN)/pytest -m 'unit or dags' $(ARGS)

# Tests past the suite's time budget (the 7-night backfill through a real scheduler, ~15 min).
test-slow: $(VENV)/.installed
	$(BIN)/pytest -m slow $(ARGS)

# The UI test drives Debian's Chromium; as root (CI) it is installed when missing, elsewhere
# the UI test skips with its reason.
browser:
	@command -v chromium >/dev/null || [ "$$(id -u)" != 0 ] || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/vulture src jobs dags plugins tests bench vulture_whitelist.py --min-confidence 60

ui: $(VENV)/.installed
	$(BIN)/python -m alliance_pipeline.local.ui $(ARGS)

clean:
	rm -rf var
