"""The soak (`python -m bench.soak`; what it does: bench/soak/__main__.py)."""
