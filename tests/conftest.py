"""Shared fixtures live in plugin modules so each layer's tests stay small."""

pytest_plugins = ["tests.fixtures.slack", "tests.fixtures.database", "tests.fixtures.server"]
