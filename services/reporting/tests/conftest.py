"""Reporting's tests: `unit/` (pure: rules, projection, pages, returns; no I/O) and `integration/`
(the SQL reports and the projection against real PostgreSQL). The reference implementations the
SQL is tested against (`reporting_reference.py`) and the generated journeys (`journeys.py`) live
here, beside both, importable by name from either folder."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
