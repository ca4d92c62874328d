"""Property tests: whatever the policy and failures, waits and attempts stay within bounds."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

import resilience_kit as rk
from resilience_kit import ErrorCategory, RetryPolicy
from resilience_kit.testing import no_wait
from tests.unit.retry_support import Script, ScriptedError, classify_scripted

policies = st.builds(
    RetryPolicy,
    max_attempts=st.integers(1, 8),
    initial_wait=st.floats(0, 2),
    max_wait=st.floats(2, 10),
    exp_base=st.floats(1, 3),
    jitter=st.floats(0, 1),
    deadline=st.none() | st.floats(0.5, 30),
    max_retry_after=st.floats(0, 20),
)
failures = st.lists(
    st.tuples(
        st.sampled_from([ErrorCategory.SERVER, ErrorCategory.RATE_LIMIT, ErrorCategory.QUOTA]),
        st.none() | st.floats(0, 40),
    ),
    max_size=10,
)


@settings(max_examples=25, deadline=None)
@given(policy=policies, script_spec=failures)
def test_waits_and_attempts_stay_within_policy(
    policy: RetryPolicy, script_spec: list[tuple[ErrorCategory, float | None]]
) -> None:
    """Attempts never exceed max_attempts, waits never exceed the cap or the deadline."""
    unregister = rk.register_exception_map(classify_scripted, name="scripted-property")
    try:
        script = Script(*(ScriptedError(c, retry_after=hint) for c, hint in script_spec))
        fn = rk.retry(policy=policy)(script.step)
        with no_wait() as waits, contextlib.suppress(ScriptedError):
            fn()
    finally:
        unregister()
    assert script.attempts <= policy.max_attempts
    assert len(waits.sleeps) == script.attempts - 1
    cap = max(policy.max_wait + policy.jitter, policy.max_retry_after)
    assert all(0 <= wait <= cap for wait in waits.sleeps)
    if policy.deadline is not None:
        assert waits.total <= policy.deadline + 1e-6
