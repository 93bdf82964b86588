"""Imports point one way (DESIGN.md section 2): a package imports only those below it."""

import ast
from pathlib import Path

import pytest

SOC = Path(__file__).resolve().parents[2] / "soc"

BOTTOM = {"units", "errors", "limits", "helper_process"}
# what the composition root may use; runner adds report, cli adds runner
ASSEMBLE = {"plan", "hw", "flexnn", "workloads", "energy", "trace", "kernel", "config"} | BOTTOM
ALLOWED: dict[str, set[str]] = {
    "units": set(),
    "errors": set(),
    "limits": {"errors"},
    "helper_process": set(),
    "config": BOTTOM,
    "kernel": BOTTOM,
    "workloads": {"config"} | BOTTOM,
    "trace": {"kernel"} | BOTTOM,
    "energy": {"trace", "kernel", "config"} | BOTTOM,
    "flexnn": {"kernel", "config", "workloads"} | BOTTOM,
    "hw": {"kernel", "config"} | BOTTOM,
    "plan": {"flexnn", "workloads", "energy", "config"} | BOTTOM,
    "assemble": ASSEMBLE,
    "report": BOTTOM,
    "runner": {"report", "assemble"} | ASSEMBLE,
    "sweeps": {"runner", "report", "assemble"} | ASSEMBLE,
    "api": {"sweeps", "runner", "report", "assemble"} | ASSEMBLE,
    "__main__": {"cli"},
    "cli": {"api", "runner", "sweeps", "report", "assemble"} | ASSEMBLE,
}
# Only these third-party packages may be used inside the simulation core.
NO_SIMPY = {
    "workloads",
    "config",
    "energy",
    "units",
    "errors",
    "limits",
    "helper_process",
    "report",
    "plan",
}


def _package(path: Path) -> str:
    relative = path.relative_to(SOC)
    return relative.parts[0].removesuffix(".py") if relative.parts[0] != "__init__.py" else ""


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


MODULES = sorted(p for p in SOC.rglob("*.py") if _package(p))


def test_every_package_has_a_rule():
    assert {_package(p) for p in MODULES} <= set(ALLOWED)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SOC)))
def test_imports_point_down(path: Path):
    package = _package(path)
    wrong = []
    for line, module in _imports(path):
        parts = module.split(".")
        if parts[0] == "soc" and len(parts) > 1:
            target = parts[1]
            if target != package and target not in ALLOWED[package]:
                wrong.append(f"line {line}: {module}")
        if parts[0] == "simpy" and package in NO_SIMPY:
            wrong.append(f"line {line}: simpy")
    assert not wrong, f"{path.relative_to(SOC)} imports against the direction: {wrong}"


def test_the_rule_catches_an_upward_import(tmp_path):
    """The checker itself can fail: an hw module importing the energy package."""
    bad = tmp_path / "bad.py"
    bad.write_text("from soc.energy import EnergyLedger\n")
    imported = [m.split(".")[1] for _, m in _imports(bad)]
    assert imported == ["energy"] and "energy" not in ALLOWED["hw"]
