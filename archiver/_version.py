"""The package version, in a module of its own so that archiver's modules can read it while
archiver/__init__.py is still importing them."""

__version__ = "0.1.0"
