"""Hotelbeds APItude Booking API: hotels (availability by geolocation)."""

from gateway.providers.hotelbeds.adapter import HotelbedsConfig, HotelbedsProvider

__all__ = ["HotelbedsConfig", "HotelbedsProvider"]
