"""outcomes service."""
