.PHONY: setup test lint demo smoke

setup:
	scripts/setup

test:
	scripts/test -q

lint: setup
	.venv/bin/python -m pip install -q ruff mypy types-PyYAML
	.venv/bin/ruff check src tests
	.venv/bin/mypy src/matcue

demo:
	scripts/demo

# the installed command without test extras: catches a missing runtime dependency
smoke:
	rm -rf /tmp/matcue-smoke && python3 -m venv /tmp/matcue-smoke
	/tmp/matcue-smoke/bin/pip install -q .
	cd /tmp && /tmp/matcue-smoke/bin/matcue check $(CURDIR)/routines/*.yaml
