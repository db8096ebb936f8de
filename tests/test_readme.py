"""The README opens with the two commands that run the project (issue: Quick start)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_starts_with_a_quick_start_of_make_demo_and_make_test():
    """Given the README, when its first 40 lines are read, then they hold a
    "## Quick start" section whose first code block is exactly `make demo` and
    `make test`, followed by what each does and where to sign in."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    top = "\n".join(lines[:40])
    assert "\n## Quick start\n" in top
    section = top.split("\n## Quick start\n", 1)[1]
    block = re.search(r"```[a-z]*\n(.*?)\n```", section, re.DOTALL)
    assert block is not None, "no code block in the Quick start"
    assert block.group(1).splitlines() == ["make demo", "make test"]
    readme = "\n".join(lines)
    after = readme.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    for said in ("`make demo`", "`make test`", "http://127.0.0.1:8000/", "/accounts/login/"):
        assert said in after, said


def test_the_quick_start_names_the_demo_address_scripts_demo_serves_on():
    """The host and port in the README are demo.sh's defaults."""
    demo = (ROOT / "scripts" / "demo.sh").read_text(encoding="utf-8")
    assert "HOST=${DEMO_HOST:-127.0.0.1}" in demo
    assert "PORT=${DEMO_PORT:-8000}" in demo
