"""Print a bearer token for a local run: `python -m ap_chassis.token --role la_officer`."""

import argparse
import os

from .auth import ROLES, issue_token
from .settings import LOCAL_JWT_SECRET


def main() -> None:
    """`make token`: print a local HS256 token for a role and its scope."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--role", choices=sorted(ROLES), default="la_officer")
    parser.add_argument("--sub", default="local-user")
    parser.add_argument("--urn", help="the school's URN (role school)")
    parser.add_argument("--provider-id", help="the provider's id (role provider)")
    parser.add_argument("--ttl", type=int, default=8 * 3600)
    args = parser.parse_args()
    scope = {k: v for k, v in {"urn": args.urn, "provider_id": args.provider_id}.items() if v}
    secret = os.environ.get("JOURNEY_JWT_SECRET", LOCAL_JWT_SECRET)
    print(issue_token(secret, sub=args.sub, role=args.role, ttl_seconds=args.ttl, **scope))


if __name__ == "__main__":
    main()
