"""The layers point one way (STYLE.md 12): anjian/ → the apps, never back."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "anjian").glob("*.py")), ids=lambda p: p.name)
def test_anjian_imports_no_app_code(path):
    apps = {
        name for name in imported_modules(path) if name.split(".")[0] in ("inspections", "units")
    }
    assert apps == set(), f"anjian/{path.name} imports {apps}"


@pytest.mark.parametrize(
    "path", sorted((ROOT / "units").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_units_imports_nothing_of_inspections(path):
    assert not {n for n in imported_modules(path) if n.split(".")[0] == "inspections"}
