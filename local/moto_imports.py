"""moto's Batch package, loaded when it is used rather than when moto's Step Functions engine is imported.

The engine imports `moto.batch.utils` for one enum (`JobStatus`, for its Batch task kind), and importing that
module runs `moto/batch/__init__.py`, which imports Batch's models, which import EC2's, which load every EC2
instance type and every region's instance type offerings: about 56 MB of memory and 0.6 s of start-up for a
product with no Batch task and no EC2 call. Here the package `moto.batch` is made from its own spec, so its
submodules (`moto.batch.utils`, `moto.batch.models`, ...) import as they always do, but its `__init__` runs on
the first name asked of it that it does not have yet (`moto.batch.batch_backends`, which moto's backend lookup
asks for on the first Batch call): every name of the package is there when used, from its own code, as before.

Imported before anything imports moto's Step Functions engine (first in local/moto_patches.py); a package already
imported is left as it is. Dev-only: never shipped.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from types import ModuleType

DEFERRED = ("moto.batch",)


def defer_init(name: str) -> ModuleType:
    """The package `name`, in `sys.modules`, whose `__init__` runs on the first attribute it is asked for and
    does not have (once, under a lock). A package already imported is returned as it is."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        raise ImportError(f"{name} is not a package that can be imported")
    package = importlib.util.module_from_spec(spec)
    lock = threading.Lock()
    loader = spec.loader

    def __getattr__(attribute: str) -> object:
        with lock:
            if vars(package).get("__getattr__") is __getattr__:
                del vars(package)["__getattr__"]
                loader.exec_module(package)
        return getattr(package, attribute)  # the package's own names now; a missing one raises as for any module

    package.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules[name] = package
    parent, _, child = name.rpartition(".")
    if parent:  # as the import system does: a submodule is an attribute of its parent package
        setattr(importlib.import_module(parent), child, package)
    return package


for _name in DEFERRED:
    defer_init(_name)
