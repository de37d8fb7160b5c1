"""Benchmarks: synthetic models and measurements (not timed tests)."""
