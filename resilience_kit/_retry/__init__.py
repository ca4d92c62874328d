"""Retry (L2): the decorator, its engine, policy, presets, hooks, budget and tenacity blocks."""
