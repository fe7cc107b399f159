"""The designs the gateway is measured against, written as their authors would have."""
