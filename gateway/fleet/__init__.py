"""State every instance and worker of a fleet shares, in Redis when one is configured: sealed
values, and the guards that must hold across processes."""
