"""Shared helpers of the cross-service tests, imported as a package (never by bare module name)."""
