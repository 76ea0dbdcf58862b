"""Turns links into stored documents: import, fetch, extract, store."""

__version__ = "0.1.0"
