"""fabstack tests: unit, integration (real services), conformance, benchmarks."""
