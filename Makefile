# Shortcuts for the scripts the README documents.
.PHONY: demo test bench clean
demo:
	scripts/demo
test:
	scripts/test
bench:
	scripts/bench
clean:
	rm -rf .venv state build *.egg-info
