"""The layers contract (pyproject.toml, run by .ci/run as ``lint-imports``) holds, and it would catch an
import that runs upward."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["devtools", "reports", "surveys", "agreements", "mediation", "cases", "vom"]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=folder, env={"PYTHONPATH": str(folder), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip


def _copy_of_the_project(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def test_the_project_keeps_its_layers():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_import_running_upward_breaks_the_contract(tmp_path):
    project = _copy_of_the_project(tmp_path)
    (project / "cases" / "upward.py").write_text(
        "from mediation.models import Meeting  # cases must not know mediation\n"
    )
    result = _lint(project)
    assert result.returncode == 1
    assert "BROKEN" in result.stdout and "cases.upward -> mediation.models" in result.stdout


def test_surveys_and_agreements_stay_independent(tmp_path):
    project = _copy_of_the_project(tmp_path)
    (project / "surveys" / "sideways.py").write_text("import agreements.models\n")
    result = _lint(project)
    assert result.returncode == 1
    assert "surveys.sideways -> agreements.models" in result.stdout


def test_nothing_imports_the_tooling(tmp_path):
    project = _copy_of_the_project(tmp_path)
    (project / "reports" / "timing.py").write_text("from devtools.bench import PAGES\n")
    result = _lint(project)
    assert result.returncode == 1
    assert "reports.timing -> devtools.bench" in result.stdout


def test_cases_modules_import_each_other_at_the_top():
    """No import inside a function in cases (AppConfig.ready aside): such imports hid a circle between the
    models, the selectors and the stage graph."""
    import ast

    hidden = []
    for path in sorted((ROOT / "cases").glob("*.py")):
        if path.name == "apps.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                hidden += [
                    f"{path.name}:{inner.lineno}"
                    for inner in ast.walk(node)
                    if isinstance(inner, ast.Import | ast.ImportFrom)
                ]
    assert hidden == []


def _long_functions(source: str, limit: int = 30) -> list[str]:
    import ast

    return [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef) and node.end_lineno - node.lineno + 1 > limit
    ]


def test_views_stay_thin():
    """Every function of every views module is at most 30 lines (its decorators aside): the work is in services,
    selectors and forms."""
    too_long = {
        str(path.relative_to(ROOT)): found
        for package in PACKAGES
        for path in (ROOT / package).rglob("views.py")
        if (found := _long_functions(path.read_text()))
    }
    assert too_long == {}


def test_the_view_length_rule_sees_a_long_view():
    body = "\n".join(f"    x{n} = {n}" for n in range(30))
    assert _long_functions(f"def view(request):\n{body}\n") == ["view (31 lines)"]
    assert _long_functions(f"def view(request):\n{body[: body.rindex(chr(10))]}\n") == []
