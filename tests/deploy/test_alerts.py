"""deploy/prometheus/alerts.yml: valid for Prometheus (`promtool check rules`), each alert firing on the series of
alerts_test.yml that should fire it and on no healthy one (`promtool test rules`), each with a runbook in
docs/operations.md."""

import re
import shutil
import subprocess
from pathlib import Path

import yaml

from tests.conftest import require_tool

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"
RULE_TESTS = ROOT / "deploy" / "prometheus" / "alerts_test.yml"


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    found = shutil.which("promtool")
    require_tool(found is not None, "promtool not found: apt-get install prometheus (scripts/setup.sh --test)")
    assert found is not None
    return subprocess.run([found, *args], capture_output=True, text=True, timeout=120, cwd=RULES.parent)


def alerts() -> list[dict]:
    return [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]


def test_promtool_checks_the_rules() -> None:
    result = promtool("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(alerts())} rules found" in result.stdout


def test_promtool_unit_tests_pass() -> None:
    result = promtool("test", "rules", str(RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_is_tested_firing_and_quiet() -> None:
    """Each alert has a case where it fires and one where it stays quiet (the healthy desk at least)."""
    cases = [case for test in yaml.safe_load(RULE_TESTS.read_text())["tests"] for case in test["alert_rule_test"]]
    for alert in alerts():
        mine = [c for c in cases if c["alertname"] == alert["alert"]]
        assert any(c["exp_alerts"] for c in mine), f"{alert['alert']}: no case where it fires"
        assert any(not c["exp_alerts"] for c in mine), f"{alert['alert']}: no case where it stays quiet"


def test_every_alert_has_for_severity_summary_and_a_runbook_in_operations_md() -> None:
    operations = (ROOT / "docs" / "operations.md").read_text()
    # GitHub's anchors of the runbook headings: "#### DeskServiceDown" -> #deskservicedown
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", h.strip().lower()).replace(" ", "-")
        for h in re.findall(r"^#+ (.+)$", operations, re.M)
    }
    for alert in alerts():
        name = alert["alert"]
        assert "for" in alert, f"{name}: no for:"
        assert alert["labels"]["severity"] in {"warning", "critical"}, name
        assert alert["annotations"]["summary"], name
        runbook = alert["annotations"]["runbook_url"]
        path, _, anchor = runbook.partition("#")
        assert path == "docs/operations.md" and anchor in anchors, (
            f"{name}: {runbook} is not a heading of operations.md"
        )


def test_promtool_checks_the_compose_scrape_config(tmp_path: Path) -> None:
    """deploy/prometheus/prometheus.yml, with its rule file where this checkout has it (compose mounts it at /etc)."""
    config = yaml.safe_load((RULES.parent / "prometheus.yml").read_text())
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
    config["rule_files"] = [str(RULES)]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    result = promtool("check", "config", str(tmp_path / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(alerts())} rules found" in result.stdout
