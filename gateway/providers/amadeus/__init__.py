"""Amadeus Self-Service APIs (flights and hotels)."""

from gateway.providers.amadeus.adapter import AmadeusConfig, AmadeusProvider

__all__ = ["AmadeusConfig", "AmadeusProvider"]
