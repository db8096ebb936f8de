"""The plugin registries (``egov.registry.Registry``): the procedure handlers
and the delivery channels. A plugin is found without being listed; two under
one name are a configuration error, at start-up, never a silent replacement."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from django.core.exceptions import ImproperlyConfigured

from egov.registry import Registry
from interconnect import channels
from procedures.handlers import registry
from procedures.handlers.birth import BirthHandler


class Thing:
    name = "thing"


class OtherThing:
    name = "thing"


def test_two_plugins_under_one_name_are_refused_and_the_same_one_again_is_not():
    things: Registry[object] = Registry("thing")
    things.register_class(Thing)
    things.register_class(Thing)  # a module imported twice
    with pytest.raises(ImproperlyConfigured, match="Two things are named 'thing'"):
        things.register_class(OtherThing)
    assert isinstance(things.get("thing"), Thing)
    with pytest.raises(ImproperlyConfigured, match="needs a name"):
        things.register("", Thing())


def test_a_second_handler_under_a_taken_name_is_refused():
    class AnotherBirth(registry.ProcedureHandler):
        name = "birth"

    with pytest.raises(ImproperlyConfigured, match="AnotherBirth"):
        registry.register(AnotherBirth)
    assert isinstance(registry.get("birth"), BirthHandler)


def test_handlers_and_channels_are_found_in_their_packages_without_a_list():
    assert {"birth", "death", "form", "health_insurance", "residence"} <= set(registry.names())
    assert set(channels.channels.names()) == {"civil_registry", "internal"}
    assert channels.awaited() == ["internal"]
    with pytest.raises(LookupError):
        channels.get("fax")


def test_a_duplicate_handler_name_stops_the_portal_at_start_up(tmp_path):
    # Given a module that registers a second handler named "birth"
    (tmp_path / "twin_birth.py").write_text(
        textwrap.dedent(
            """
            from procedures.handlers.registry import ProcedureHandler, register

            @register
            class TwinBirth(ProcedureHandler):
                name = "birth"
            """
        )
    )
    # When the portal starts with it among the handler packages
    start = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        import django
        from procedures.handlers import registry
        registry.handlers.packages = ("twin_birth",)
        django.setup()
        """
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    started = subprocess.run(
        [sys.executable, "-c", start], capture_output=True, text=True, env=env, timeout=120
    )
    # Then it does not start, and says which two handlers share the name
    assert started.returncode != 0
    assert "ImproperlyConfigured" in started.stderr
    assert "Two procedure handlers are named 'birth': TwinBirth and BirthHandler" in started.stderr
