"""Stand-ins for the providers' APIs: aiohttp apps speaking each provider's wire format over one
shared, deterministic inventory, with fault injection. They serve the demo (`travel-gateway
serve` without credentials), `travel-gateway simulate`, the tests and the benchmarks; the
gateway itself never needs them, and loads them only on those paths.

`registry.py` lists one `SimulatorSpec` per provider that has a simulator (`spec.py`);
`runner.py` serves them on loopback; `common/` is what they share (inventory, fault switches,
schedules, hotels, responses); `<provider>/` is each provider's own app.

Imports point one way: the simulators may read the gateway's reference data (`gateway.reference`,
`gateway.airlines`, `gateway.domain`) and each provider's spec and configuration (only
in `<provider>/spec.py`, to point the adapter at the simulator); nothing in `gateway/` imports
them outside those paths (tests/test_simulators_apart.py holds both).
"""
