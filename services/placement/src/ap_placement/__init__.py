"""Placement service: providers and their quality record, placements, bulk import."""
