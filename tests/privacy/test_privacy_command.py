"""`bungu privacy ACTION`: the privacy commands under the one name the issue gives them."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_an_action_runs_the_command_it_names_with_its_options() -> None:
    assert _run("privacy", "datamap", "--json") == _run("privacy_datamap", "--json")


def test_an_unknown_action_is_refused_with_the_list_of_actions() -> None:
    with pytest.raises(CommandError, match="invalid choice: 'forget-everyone'"):
        call_command("privacy", "forget-everyone")


def test_a_bad_argument_of_an_action_gets_that_action_s_message() -> None:
    with pytest.raises(CommandError, match="There is no notice version 99"):
        call_command("privacy", "send-notice-reminders", "99")
    with pytest.raises(CommandError, match="invalid int value: 'x'"):
        call_command("privacy", "send-notice-reminders", "x")
