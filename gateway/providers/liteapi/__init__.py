"""LiteAPI (Nuitée) v3.0: hotels, through its rates search by coordinates."""

from gateway.providers.liteapi.adapter import LiteApiConfig, LiteApiProvider

__all__ = ["LiteApiConfig", "LiteApiProvider"]
