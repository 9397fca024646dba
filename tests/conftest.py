"""Shared fixtures for the whole suite live in the per-area conftest files below this folder."""
