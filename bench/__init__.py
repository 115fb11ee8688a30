"""Ratio benchmarks for kernel-bridge: ``python -m bench`` (see bench/README.md)."""
