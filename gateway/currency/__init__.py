"""Money in one currency: ISO 4217 minor units and ECB reference rates."""
