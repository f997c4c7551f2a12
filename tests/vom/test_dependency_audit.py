"""CI's dependency audit says how many packages it really audited (pip-audit can skip every package
where PyPI is out of reach and still report a pass)."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("audit_dependencies", ROOT / ".ci" / "audit_dependencies.py")
audit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit)

SKIPPED = "Dependency not found on PyPI and could not be audited: django (5.2.19)"


def test_nothing_audited_is_a_loud_warning_not_a_pass_and_not_a_failure():
    code, lines = audit.summarise({"dependencies": [{"name": "django", "skip_reason": SKIPPED},
                                                    {"name": "celery", "skip_reason": SKIPPED}]})  # fmt: skip
    assert code == 0
    assert lines[0] == "pip-audit: 0 of 2 packages audited against the vulnerability database"
    assert lines[1].startswith("WARNING: 2 of 2 packages could NOT be audited from here")
    assert not any("No known vulnerabilities" in line for line in lines)


def test_a_known_vulnerability_fails_the_run():
    report = {"dependencies": [
        {"name": "django", "version": "5.2.0", "vulns": [{"id": "PYSEC-2026-1", "fix_versions": ["5.2.1"]}]},
        {"name": "celery", "version": "5.7.0", "vulns": []},
    ]}  # fmt: skip
    code, lines = audit.summarise(report)
    assert code == 1
    assert "  VULNERABLE django 5.2.0: PYSEC-2026-1 (fixed in 5.2.1)" in lines
    assert lines[-1] == "FAILED: known vulnerabilities in 1 package(s)."


def test_a_clean_audit_says_how_many_were_checked():
    code, lines = audit.summarise({"dependencies": [{"name": "django", "version": "5.2.19", "vulns": []}]})
    assert code == 0
    assert lines == ["pip-audit: 1 of 1 packages audited against the vulnerability database",
                     "No known vulnerabilities in the 1 audited packages."]  # fmt: skip


def test_some_audited_and_some_skipped_says_both():
    code, lines = audit.summarise(
        {"dependencies": [{"name": "django", "version": "5.2.19", "vulns": []}, {"name": "x", "skip_reason": SKIPPED}]}
    )
    assert code == 0 and lines[0].startswith("pip-audit: 1 of 2") and lines[1].startswith("WARNING: 1 of 2")
