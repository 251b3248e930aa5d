"""OPERATIONS.md tells the truth: every command it gives exists with the options it uses,
every setting the code reads is in its table, and the systemd units it installs run the
commands the production smoke test runs."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from portal import create_app

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "OPERATIONS.md").read_text()
FLASK_COMMAND = re.compile(r"flask --app portal ([a-z][a-z-]*)([^`\n|#]*)")


@pytest.fixture(scope="module")
def commands():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x" * 40})
    return {name: app.cli.get_command(None, name)  # type: ignore[arg-type]
            for name in app.cli.list_commands(None)}  # type: ignore[arg-type]


def test_every_command_in_the_guide_exists_with_its_options(commands):
    found = FLASK_COMMAND.findall(GUIDE)
    assert len(found) >= 15
    for name, rest in found:
        assert name in commands, f"flask {name} is in OPERATIONS.md but is no command"
        known = {option for param in commands[name].params
                 for option in [*param.opts, *param.secondary_opts]}
        for word in rest.split():
            if word.startswith("--"):
                assert word.split("=", 1)[0] in known, f"flask {name} has no {word}"


def _settings_read_by_the_code() -> set[str]:
    source = (ROOT / "portal" / "config.py").read_text()
    names = set(re.findall(r"env(?:\.get)?\(\s*\"([A-Z][A-Z0-9_]+)\"", source))
    names |= set(re.findall(r"_\w+\(env, \"([A-Z][A-Z0-9_]+)\"", source))
    names |= set(re.findall(r"os\.environ\.get\(\"([A-Z][A-Z0-9_]+)\"",
                            (ROOT / "deploy" / "gunicorn.conf.py").read_text()))
    return names


def test_every_setting_the_code_reads_is_in_the_guide():
    names = _settings_read_by_the_code()
    assert {"SECRET_KEY", "DATABASE_URL", "MAIL_BACKEND", "JOBS_BACKEND",
            "GUNICORN_WORKERS"} <= names  # the scan finds them
    missing = sorted(name for name in names if f"`{name}`" not in GUIDE)
    assert missing == [], f"settings read by the code but not in OPERATIONS.md: {missing}"


def test_the_units_the_guide_installs_run_the_commands_it_documents():
    units = {path.name: path.read_text() for path in (ROOT / "deploy" / "systemd").glob("*")}
    assert {"dsr-web.service", "dsr-worker.service", "dsr-upgrade.service"} <= set(units)
    for name in units:
        assert name.removesuffix(".service") in GUIDE, name

    def command(unit: str) -> list[str]:
        line = next(line for line in units[unit].splitlines()
                    if line.startswith("ExecStart="))
        return [Path(word).name if word.startswith("/") else word
                for word in shlex.split(line.split("=", 1)[1])]

    assert command("dsr-web.service") == shlex.split(
        "gunicorn -c deploy/gunicorn.conf.py portal:create_app()")
    assert "gunicorn -c deploy/gunicorn.conf.py 'portal:create_app()'" in GUIDE
    assert command("dsr-worker.service") == ["flask", "--app", "portal", "worker"]
    assert "flask --app portal worker" in GUIDE
    assert command("dsr-upgrade.service") == ["flask", "--app", "portal", "upgrade-db"]
    assert "flask --app portal upgrade-db" in GUIDE
