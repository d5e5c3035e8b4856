"""Reporting's HTTP routes under /v1 (docs/http-api.md): thin handlers over the report queries,
the rules and the read model; the web pages are ui/, the statutory returns returns/."""
