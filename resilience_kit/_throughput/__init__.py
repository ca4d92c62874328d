"""Throughput tools: what a batch needs to stay at a provider's limit."""
