"""Throughput tools (L2): guard, slots, gate, limiter, bulkhead, timeout, fallback, batch."""
