"""Reporting service: read models projected from every journey topic."""
