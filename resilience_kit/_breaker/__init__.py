"""Circuit breaker (L2): the state machine, its windows and the call wrappers."""
