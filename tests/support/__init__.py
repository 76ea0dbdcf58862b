"""Reusable test helpers: real local servers (see site.py)."""

from .site import Exchange, ForwardProxy, LocalSite, Request, Response

__all__ = ["Exchange", "ForwardProxy", "LocalSite", "Request", "Response"]
