"""How thoroughly the slow property and crash tests run.

ansible-test passes only a fixed set of environment variables to pytest, so ``tests/run.sh``
writes the knobs of each units stage to ``tests/output/depth.json`` in the collection it tests.
An environment variable of the same name still wins when pytest is run directly.
"""

import json
import os
from pathlib import Path

_FILE = Path(__file__).resolve().parents[1] / "output" / "depth.json"


def knob(name, default):
    """The integer knob ``name`` (for example MAILOPS_HYPOTHESIS_EXAMPLES)."""
    if name in os.environ:
        return int(os.environ[name])
    try:
        with open(_FILE) as handle:
            return int(json.load(handle).get(name, default))
    except (OSError, ValueError):
        return default
