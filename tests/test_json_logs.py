"""`GATEWAY_LOG_FORMAT=json` in a real `python -m gateway serve`: every line a JSON object, one
line per request with its fields, and neither secrets nor provider text in them."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from gateway.api.admission.clients import digest
from gateway.config import ConfigError, Settings
from gateway.observe.logs import LogObserver, formatter
from tests.helpers import TRIP_QUERY, eventually, request_done, trip_variables
from tests.served import served_gateway

pytestmark = pytest.mark.e2e

KEY = "tgw_" + "s" * 43
TOKEN = "metrics-token-" + "y" * 40


def json_lines(log: list[str]) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in log if line.strip()]


async def test_one_json_line_per_request_with_its_fields_and_no_secrets(tmp_path: Path) -> None:
    keys = tmp_path / "keys.toml"
    keys.write_text(f'[[keys]]\nname = "web"\nsha256 = "{digest(KEY)}"\n')
    env = {
        "GATEWAY_LOG_FORMAT": "json",
        "GATEWAY_API_KEYS_FILE": str(keys),
        "GATEWAY_METRICS_TOKEN": TOKEN,
    }
    async with served_gateway(env) as served:
        demo = next(line for line in json_lines(served.log) if "demo simulators" in line["message"])
        duffel_sim = demo["message"].split("duffel at ")[1].split(",")[0]
        ids = []
        async with aiohttp.ClientSession(headers={"X-API-Key": KEY}) as session:
            for faults in ({}, {"error_rate": 1.0, "paths": ["/air/"]}):
                if faults:  # Duffel's flights now fail with its own error text
                    async with session.put(f"{duffel_sim}/__sim/faults", json=faults) as answer:
                        assert answer.status == 200
                variables = trip_variables() if not faults else trip_variables(adults=2)
                async with session.post(
                    f"{served.url}/graphql", json={"query": TRIP_QUERY, "variables": variables}
                ) as response:
                    assert response.status == 200
                    ids.append(response.headers["x-request-id"])
        # The log reader catches up.
        await eventually(
            lambda: [line.get("event") for line in json_lines(served.log)].count("request") >= 2
        )
        lines = json_lines(served.log)  # every line parses: the test fails otherwise
    requests = [line for line in lines if line.get("event") == "request"]
    assert [line["request_id"] for line in requests] == ids
    first, failed = requests
    assert first["logger"] == "gateway.requests"
    assert first["level"] == "INFO"
    assert first["operation"] == "Trip"
    assert first["outcome"] == "ok"
    assert first["status"] == 200
    assert first["duration_ms"] > 0
    assert first["error_codes"] == []
    assert first["client"] == "web"
    assert first["cache"] == {"hits": 0, "misses": 6, "coalesced": 0}
    assert sorted(p["provider"] for p in first["providers"]) == [
        "amadeus", "amadeus", "duffel", "duffel", "hotelbeds", "liteapi"
    ]  # fmt: skip
    assert all(
        set(p) == {"provider", "status", "latency_ms", "offers", "cached"}
        for p in first["providers"]
    )  # fmt: skip: no provider message
    duffel_flights = next(p for p in failed["providers"] if p["status"] == "ERROR")
    assert duffel_flights["provider"] == "duffel"
    assert failed["cache"]["hits"] == 4  # the same hotel search: answered from the cache
    text = "\n".join(served.log)
    assert KEY not in text
    assert TOKEN not in text
    request_text = "\n".join(orjson.dumps(line).decode() for line in requests)
    assert "Internal server error" not in request_text  # Duffel's own words
    assert "internal_server_error" not in request_text


def test_text_format_writes_no_request_line_and_json_one() -> None:
    done = request_done()
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    logger = logging.getLogger("gateway.requests")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    try:
        LogObserver(requests=False).observe(done)
        assert records == []
        LogObserver(requests=True).observe(done)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    assert len(records) == 1
    line = orjson.loads(formatter("json").format(records[0]))
    assert line["duration_ms"] == 12.3
    assert line["request_id"] == "r"  # the request's own id, from the event
    assert line["message"] == "request"


def test_the_log_format_is_checked() -> None:
    assert Settings.from_env({"GATEWAY_LOG_FORMAT": "JSON"}).log_format == "json"
    assert Settings.from_env({}).log_format == "text"
    with pytest.raises(ConfigError, match="GATEWAY_LOG_FORMAT"):
        Settings.from_env({"GATEWAY_LOG_FORMAT": "xml"})
