"""CSRF prevention as Apollo Router does it: run only what a browser would have preflighted.

A browser sends a cross-site GET, or a POST whose content type is one of the three "simple"
ones, without asking the server first (no CORS preflight), and the server runs it before the
browser hides the answer: searches a third-party page can trigger and that we pay for. Any
other content type (application/json) or any custom header makes the browser ask first, and
CORS then refuses it. So a request runs only with a non-simple content type or one of the
required headers.
"""

from __future__ import annotations

from collections.abc import Mapping

REQUIRED_HEADERS = ("x-apollo-operation-name", "apollo-require-preflight")
"""Apollo Router's defaults; Apollo's iOS and Kotlin clients send the first by themselves."""
SIMPLE_CONTENT_TYPES = frozenset(
    {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"}
)
"""Content types a browser sends cross-site without a preflight."""


def media_type(headers: Mapping[str, str]) -> str:
    return headers.get("content-type", "").split(";")[0].strip().lower()


def preflighted(headers: Mapping[str, str], required: tuple[str, ...]) -> bool:
    """Whether a browser would have asked (a CORS preflight) before sending this request."""
    kind = media_type(headers)
    if kind and kind not in SIMPLE_CONTENT_TYPES:
        return True
    return any(name in headers for name in required)


def refusal(required: tuple[str, ...]) -> str:
    return (
        "This request has been blocked as a possible cross-site request forgery. Send it with "
        "content-type application/json, or with one of these headers: " + ", ".join(required) + "."
    )
