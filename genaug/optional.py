"""Optional dependencies: the pip extras behind genaug's optional surfaces, imported by name.

A core install (``pip install genaug``) trains, loads, samples and exports; the albumentations adapter, the
pictures and the bundled MNIST subset need an extra. ``require`` imports a module, and when it is missing raises
``MissingExtraError`` (an ``ImportError``) that says which extra to install, so the fix is one command away.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from genaug.errors import GenaugError


class MissingExtraError(GenaugError, ImportError):
    """An optional surface was used without the pip extra that provides its dependency."""


def install_command(extra: str) -> str:
    """The pip command that installs genaug with ``extra``."""
    return f"pip install 'genaug[{extra}]'"


def require(module_name: str, extra: str, feature: str) -> ModuleType:
    """Import ``module_name`` for ``feature``; if it is not installed, raise ``MissingExtraError`` naming ``extra``.

    Only a missing module becomes ``MissingExtraError``; an installed module that fails to import raises its own
    error unchanged, so a broken installation is not mistaken for a missing one.
    """
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        package = module_name.split(".")[0]
        raise MissingExtraError(f"{feature} needs {package}: {install_command(extra)}", name=error.name) from error
