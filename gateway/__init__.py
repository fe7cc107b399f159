"""GraphQL travel search gateway."""

__version__ = "0.1.0"
