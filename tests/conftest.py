"""Shared fixtures live in plugin modules so each layer's tests stay small."""

pytest_plugins = ["tests.fixtures.database", "tests.fixtures.slack", "tests.fixtures.server"]
