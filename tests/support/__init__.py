"""What suites share: the platform in-process, tokens and ids for every suite that runs real
infrastructure (`platform`); the role table of a service's write routes, walked with nothing
reachable, for the unit suites (`route_table`).

Neutral ground: the root conftest, the service and chassis integration suites and the
cross-service journeys (tests/e2e) all import from here.
"""
