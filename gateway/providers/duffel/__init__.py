"""Duffel API (flights)."""

from gateway.providers.duffel.adapter import DuffelConfig, DuffelProvider

__all__ = ["DuffelConfig", "DuffelProvider"]
