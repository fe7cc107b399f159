"""The Hotelbeds simulator: APItude's availability and rate checks, signed requests, a daily
quota (`app.py`)."""
