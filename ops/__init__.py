"""Operational scripts run against a deployed stage (and, in tests, the local one)."""
