"""Benchmarks: they measure and report; they assert nothing about time."""
