"""The image, read from its Dockerfile (no Docker engine runs where the tests do)."""

from __future__ import annotations

import re
from pathlib import Path

DOCKERFILE = (Path(__file__).resolve().parents[1] / "Dockerfile").read_text()


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments left out."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    lines = [line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def test_the_instance_directory_exists_owned_by_the_service_user_before_it_runs():
    instructions = _instructions()
    user_at = next(i for i, (name, _) in enumerate(instructions) if name == "USER")
    user = instructions[user_at][1]
    workdir = [args for name, args in instructions[user_at:] if name == "WORKDIR"][-1]
    # The service keeps its SQLite file and secret key in ./instance/ of its working directory.
    instance = f"{workdir}/instance"
    made = [args for name, args in instructions[:user_at] if name == "RUN" and instance in args]
    assert made, f"{instance} is not made before USER {user}"
    assert re.search(rf"install -d -o {user} -g {user}\b.*{re.escape(instance)}", made[0])
    assert ("VOLUME", f'["{instance}"]') in instructions
