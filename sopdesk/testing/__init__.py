"""Small typed factories shared by the test suites (imported by conftest and benchmarks)."""
