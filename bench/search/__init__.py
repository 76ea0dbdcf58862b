"""The search bench (`python -m bench.search`; what it measures: bench/search/__main__.py),
split by job: archives.py builds the archives, servers.py starts the services, load.py
measures, report.py prints."""
