"""Presets from TOML: name your retry policies once, use them by name.

    python examples/presets_from_toml.py

See ``presets.toml`` next to this file. Offline, the fake server answers 503 once.
"""

from __future__ import annotations

from pathlib import Path

from _local import OPENAI_MODEL, openai_client

import resilience_kit as rk
from resilience_kit.testing import Fault

names = rk.load_presets(Path(__file__).with_name("presets.toml"))
print("loaded presets:", ", ".join(names))
for name in names:
    policy = rk.get_preset(name)
    print(f"  {name}: max_attempts={policy.max_attempts} deadline={policy.deadline}")

client = openai_client(Fault.status(503, headers={"retry-after-ms": "100"}))


@rk.retry("chat")
def ask(question: str) -> str:
    reply = client.chat.completions.create(
        model=OPENAI_MODEL, messages=[{"role": "user", "content": question}]
    )
    return reply.choices[0].message.content or ""


if __name__ == "__main__":
    print("answer:", ask("Say hi."))
