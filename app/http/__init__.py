"""The web service: the JSON API (`api/`), the server-rendered pages (`web/`), what both ask
of the archive (`lookups`), and what every request shares: dependencies (`deps`), error pages
(`errors`), security headers (`security`), sessions, CSRF and private mode (`sessions`,
`auth`, `private`), background jobs (`jobs`) and the uvicorn runner (`server`). The
application itself is assembled in app/main.py."""
