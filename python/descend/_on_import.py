"""Run a function right after a module is first imported, without importing it first.

descend uses it twice, to keep ``import descend`` light:

- when threadpoolctl is imported, register descend's controller with it (``_threads``);
- when ``descend._minimize`` is imported (by ``descend.minimize`` or by any module that uses
  its registry of methods), import the modules that register the methods
  (``_first_order``, ``_second_order``).

A hook is a finder at the front of ``sys.meta_path`` that finds nothing itself: for its one
module it asks the finders after it, wraps the loader they return so that the function runs
after the module's code, and leaves ``sys.meta_path``. Every other import costs it one string
comparison.
"""

from __future__ import annotations

import sys
from typing import Any, Callable


class _Loader:
    """Runs the module's own loader, then `after(module)`."""

    def __init__(self, loader: Any, after: Callable[[Any], None]) -> None:
        self._loader = loader
        self._after = after

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self._loader.exec_module(module)
        self._after(module)

    def __getattr__(self, name: str) -> Any:  # get_source, get_code, is_package, ...
        return getattr(self._loader, name)


class OnImport:
    """A meta path finder that calls `after(module)` once `name` has been imported."""

    def __init__(self, name: str, after: Callable[[Any], None]) -> None:
        self.name = name
        self.after = after

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != self.name:
            return None
        self.uninstall()
        for finder in sys.meta_path:
            find_spec = getattr(finder, "find_spec", None)
            spec = find_spec(fullname, path, target) if find_spec else None
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _Loader(spec.loader, self.after)
                return spec
        return None

    def uninstall(self) -> None:
        if self in sys.meta_path:
            sys.meta_path.remove(self)


def on_import(name: str, after: Callable[[Any], None]) -> None:
    """Call `after(module)` when module `name` is imported: now if it already is, else then."""
    module = sys.modules.get(name)
    if module is not None:
        after(module)
    elif not any(isinstance(f, OnImport) and f.name == name for f in sys.meta_path):
        sys.meta_path.insert(0, OnImport(name, after))
