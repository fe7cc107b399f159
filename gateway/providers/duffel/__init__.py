"""Duffel API: flights (offer requests) and hotels (Stays)."""

from gateway.providers.duffel.adapter import DuffelConfig, DuffelProvider

__all__ = ["DuffelConfig", "DuffelProvider"]
