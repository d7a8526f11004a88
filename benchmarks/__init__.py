"""Benchmarks: synth speed vs AWS Solutions Constructs, cost per example stack."""
