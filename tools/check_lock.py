"""Offline check that the locks still match their .in files.

Fails when a requirement of requirements.in or requirements-dev.in has no pin
in its lock, or when the pinned version does not satisfy it. It reads only
files: run `make lock` to bring the locks up to date.
"""

import re
import sys
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCKS = {"requirements.in": "requirements.txt", "requirements-dev.in": "requirements-dev.txt"}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def requirements(path: Path) -> list[tuple[str, Requirement]]:
    """Every requirement of an .in file, following its -r includes."""
    found = []
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#") or line.startswith(("-c ", "--constraint")):
            continue
        if line.startswith(("-r ", "--requirement")):
            found += requirements(path.parent / line.split(maxsplit=1)[1])
            continue
        try:
            found.append((f"{path.name}:{number}", Requirement(line)))
        except InvalidRequirement as error:
            found.append((f"{path.name}:{number}", error))
    return found


def pins(path: Path) -> dict[str, str]:
    return {
        canonicalize_name(match[1]): match[2] for line in path.read_text().splitlines() if (match := PIN.match(line))
    }


def problems() -> list[str]:
    found = []
    for source, lock in LOCKS.items():
        if not (ROOT / lock).exists():
            found.append(f"{lock} is missing: run `make lock`")
            continue
        pinned = pins(ROOT / lock)
        for where, requirement in requirements(ROOT / source):
            if isinstance(requirement, InvalidRequirement):
                found.append(f"{where}: {requirement}")
                continue
            version = pinned.get(canonicalize_name(requirement.name))
            if version is None:
                found.append(f"{where}: {requirement} has no pin in {lock}")
            elif not requirement.specifier.contains(version, prereleases=True):
                found.append(f"{where}: {requirement} is not satisfied by {requirement.name}=={version} in {lock}")
    return found


if __name__ == "__main__":
    errors = problems()
    for error in errors:
        print(error, file=sys.stderr)
    if errors:
        print("The locks are stale: run `make lock` and commit the .in and .txt files together.", file=sys.stderr)
        sys.exit(1)
    print("locks match requirements.in and requirements-dev.in")
