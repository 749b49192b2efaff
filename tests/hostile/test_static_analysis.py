"""Static analysis in `make lint`: bandit, and semgrep with the shop's own rules (.semgrep/),
offline. Each rule is shown to catch a planted violation; the personal-field rule is kept in
step with the data map."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bungu.privacy import data_map

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / ".semgrep"
SEMGREP = Path(sys.executable).parent / "semgrep"
BANDIT = Path(sys.executable).parent / "bandit"
# The categories whose fields identify, reach or charge a person; the rule names their fields.
GATED_CATEGORIES = (
    "user.name", "user.contact.email", "user.contact.phone_number", "user.contact.address",
    "user.device.ip_address", "user.financial", "user.device",
)  # fmt: skip
# Names too common to search for as attributes (a role's name, an address's label): the
# P13 role walk over the rendered pages covers them instead.
TOO_COMMON = {
    "name", "label", "country", "is_default_shipping", "created_at", "last_seen_at", "data",
    # mail.MailSuppression.address: the agents' API reads it from the agent's own report.
    "address",
}  # fmt: skip

PLANTED = {
    "src/bungu/backoffice/planted.py": """
from django.http import HttpRequest, HttpResponse

def customer_card(request: HttpRequest, customer) -> HttpResponse:
    staff = request.user.email
    return HttpResponse(customer.email + customer.addresses.first().line1 + staff)
""",
    "src/bungu/storefront/planted.py": """
from django.shortcuts import redirect
from django.views.decorators.csrf import csrf_exempt

@csrf_exempt
def back(request):
    return redirect(request.GET.get("next", "/"))

def onward(request):
    target = request.POST.get("to")
    return redirect(target)
""",
    # Outside the staff and agent modules a customer reads their own e-mail address freely.
    "src/bungu/accounts/planted.py": """
def greeting(user):
    return user.email
""",
}


def _semgrep(root: Path) -> list[tuple[str, str, int]]:
    env = {**os.environ, "SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}
    result = subprocess.run(  # noqa: S603 - the project's own tool and rules
        [
            str(SEMGREP),
            "scan",
            "--config",
            str(RULES),
            "--metrics=off",
            "--disable-version-check",
            "--json",
            "--quiet",
            "src",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    findings = json.loads(result.stdout)["results"]
    return sorted(
        (item["check_id"].rsplit(".", 1)[-1], item["path"], item["start"]["line"])
        for item in findings
    )


def test_semgrep_finds_each_planted_violation(tmp_path: Path) -> None:
    for relative, source in PLANTED.items():
        planted = tmp_path / relative
        planted.parent.mkdir(parents=True, exist_ok=True)
        planted.write_text(source.lstrip())

    assert _semgrep(tmp_path) == [
        ("bungu-csrf-exempt", "src/bungu/storefront/planted.py", 4),
        ("bungu-personal-field-outside-privacy-gate", "src/bungu/backoffice/planted.py", 5),
        ("bungu-personal-field-outside-privacy-gate", "src/bungu/backoffice/planted.py", 5),
        ("bungu-redirect-to-request-data", "src/bungu/storefront/planted.py", 6),
        ("bungu-redirect-to-request-data", "src/bungu/storefront/planted.py", 9),
    ]


def test_the_shop_passes_its_own_rules() -> None:
    assert _semgrep(ROOT) == []


@pytest.mark.django_db
def test_the_personal_field_rule_names_every_gated_field() -> None:
    rule = next(
        r
        for r in yaml.safe_load((RULES / "bungu.yml").read_text())["rules"]
        if r["id"] == "bungu-personal-field-outside-privacy-gate"
    )
    regex = next(
        p["metavariable-regex"]["regex"] for p in rule["patterns"] if "metavariable-regex" in p
    )
    named = set(re.sub(r"[\^$()]", "", regex).split("|"))
    gated = {
        field.label.rsplit(".", 1)[-1]
        for field in data_map
        if str(field.category) in GATED_CATEGORIES
    }

    assert gated - TOO_COMMON - named == set()
    assert named - gated == set()  # no stale names either


def test_bandit_finds_nothing_in_the_shop_and_a_planted_call(tmp_path: Path) -> None:
    def bandit(target: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - the project's own tool
            [str(BANDIT), "-q", "-r", "-ll", "-ii", "-f", "json", str(target)],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )

    assert bandit(ROOT / "src").returncode == 0
    planted = tmp_path / "planted.py"
    planted.write_text("import pickle\n\ndef load(blob):\n    return pickle.loads(blob)\n")
    found = json.loads(bandit(tmp_path).stdout)["results"]
    assert [item["test_id"] for item in found] == ["B301"]
