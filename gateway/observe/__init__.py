"""Observability: events the gateway reports, and the observers that turn them into metrics
and log lines. `events.py` is the only part the search, provider and HTTP code import; the
observers (`metrics.py`, `logs.py`) are wired in `gateway/app.py`."""
