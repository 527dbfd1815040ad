"""Benchmarks and the real-Prometheus lab they share with the live tests."""
