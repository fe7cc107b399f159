"""What the simulators share: the inventory every provider sells from (`inventory.py`, with
`schedule.py`'s flights and `lodging.py`'s hotels), fault injection (`faults.py`), fast and
memoised answers (`responses.py`), seeded randomness (`seeds.py`)."""
