# The two README commands: `make demo` and `make test`. Both install what is missing first.
PYTHON ?= python3
OPSCONSOLE := $(PYTHON) -m console
# Reinstall the Python package only when its metadata changes.
PY_STAMP := .opsconsole/.pip-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
PYTEST_ARGS ?=

.PHONY: install browser demo test bench down clean

install: $(PY_STAMP)
	$(OPSCONSOLE) stack install

$(PY_STAMP): pyproject.toml
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -e '.[test]'
	@mkdir -p .opsconsole && rm -f .opsconsole/.pip-* && touch $@

demo: install
	$(OPSCONSOLE) demo

test: install browser
	$(PYTHON) -m pytest $(PYTEST_ARGS)

# The browser tests drive Debian's Chromium (never a downloaded browser build).
browser:
	@command -v chromium >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core; }

bench: install
	$(PYTHON) -m bench

down:
	$(OPSCONSOLE) stack down

clean: down
	rm -rf .opsconsole
