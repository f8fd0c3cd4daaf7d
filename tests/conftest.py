"""Shared fixtures: see mockpbx.pytest_plugin for `mockpbx` / `mockpbx_server`."""
