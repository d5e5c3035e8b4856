"""What every suite that runs real infrastructure shares: the platform in-process, tokens, ids.

Neutral ground: the root conftest, the service and chassis integration suites and the
cross-service journeys (tests/e2e) all import from here.
"""
