"""Outcomes service: reviews, reintegrations and sustainment checks, post-16 destinations."""
