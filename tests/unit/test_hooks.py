"""The pre-commit hooks run the project's own installed tools, fetching nothing."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

CONFIG = Path(__file__).parents[2] / ".pre-commit-config.yaml"


def test_every_hook_is_local_and_runs_a_tool_make_install_puts_in_the_venv():
    repos = yaml.safe_load(CONFIG.read_text())["repos"]
    hooks = [hook for repo in repos for hook in repo["hooks"]]

    assert {repo["repo"] for repo in repos} == {"local"}
    assert {hook["id"] for hook in hooks} == {"ruff", "ruff-format", "detect-secrets", "pip-audit"}
    for hook in hooks:
        tool = hook["entry"].split()[0]
        assert tool.startswith(".venv/bin/"), hook["id"]
        assert (Path(sys.executable).parent / Path(tool).name).exists(), tool
