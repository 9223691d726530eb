# Two commands: `make demo` runs the main job on the built-in sample, `make test` runs the tests.
# Both set up .venv first (idempotent; see scripts/setup.sh).
.PHONY: setup demo test bench
setup:
	@bash scripts/setup.sh
demo: setup
	.venv/bin/corpus demo
test: setup
	@bash scripts/test-deps.sh
	.venv/bin/python -m pytest -q
bench: setup
	.venv/bin/python bench/passthrough.py
