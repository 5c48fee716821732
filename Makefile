.PHONY: setup test lint demo smoke fuzz

setup:
	scripts/setup

test:
	scripts/test -q

lint:
	scripts/lint

demo:
	scripts/demo

# the property tests with thousands of examples each (tests/test_properties.py)
fuzz:
	MATCUE_FUZZ=1 .venv/bin/python -m pytest -q tests/test_properties.py

# the installed command without test extras: catches a missing runtime dependency
smoke:
	rm -rf /tmp/matcue-smoke && python3 -m venv /tmp/matcue-smoke
	/tmp/matcue-smoke/bin/pip install -q .
	cd /tmp && /tmp/matcue-smoke/bin/matcue check $(CURDIR)/routines/*.yaml
