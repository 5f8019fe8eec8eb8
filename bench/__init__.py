"""Benchmarks at the scale the issues name; `make bench` runs them all."""
