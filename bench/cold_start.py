"""Cold start: the app's import against a bare import of its dependencies, each in a fresh interpreter,
and the first build of the composition root."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.measure import median_ms, ratio, spread

ROOT = Path(__file__).resolve().parent.parent
OWN_MODULES = {"app", "chalicelib", "__future__"}

# A first request's start: the app imported, the area of its route loaded (chalicelib/entrypoints/routing.py),
# and the part of the composition root it uses built, with its boto3 clients. The request is the submit, the one
# the handler cost is measured on; FIRST_REQUEST_BUILDS is what it builds (a test holds it to a real submit's).
FIRST_REQUEST_ROUTE = ("/api/orders", "POST")
FIRST_REQUEST_BUILDS = {"services": ["directory", "orders"], "adapters": ["idempotency"]}
# Its route's area loaded, and what the request touches of a container `c`, which builds them.
_ROUTE = f"route(app.app, {FIRST_REQUEST_ROUTE[0]!r}, {FIRST_REQUEST_ROUTE[1]!r})"
_TOUCHES = "; ".join(
    [f"c.{name}" for name in FIRST_REQUEST_BUILDS["services"]]
    + [f"c.adapters.{name}" for name in FIRST_REQUEST_BUILDS["adapters"]]
)
FIRST_REQUEST = (
    f"import app; from chalicelib.entrypoints.routing import route; {_ROUTE}; "
    f"from chalicelib.bootstrap import container; c = container(); {_TOUCHES}"
)
# The first request's steps timed apart: the app's import, its route's area, and its part of the composition root
# built, then built again in a new container (the modules imported by then).
CONTAINER_PROBE = f"""
import json, time
started = time.perf_counter()
import app
imported = time.perf_counter()
from chalicelib.entrypoints.routing import route
{_ROUTE}
routed = time.perf_counter()
from chalicelib.bootstrap import container
def build():
    c = container()
    {_TOUCHES}
build()
built = time.perf_counter()
container.cache_clear()
build()
rebuilt = time.perf_counter()
print(json.dumps({{"import": imported - started, "area": routed - imported, "first": built - routed,
                  "again": rebuilt - built}}))
"""
# Which clients that build makes, so the bare side builds the same.
CLIENTS_PROBE = f"""
import json
import boto3.session
built = []
client = boto3.session.Session.client
def recording(self, service, *args, **kwargs):
    built.append(service)
    return client(self, service, *args, **kwargs)
boto3.session.Session.client = recording
{FIRST_REQUEST}
print(json.dumps(built))
"""
# The app's own modules a first request imports, whose third-party imports the bare side then makes.
MODULES_PROBE = f"""
import json, sys
{FIRST_REQUEST}
print(json.dumps(sorted(module.__file__ for name, module in list(sys.modules.items())
                        if (name == "app" or name.startswith("chalicelib.")) and getattr(module, "__file__", None))))
"""


def bare_first_request(bare_code: str, services: list[str]) -> str:
    """The bare import, then the same clients the app's first container() builds, from one session as it does."""
    clients = "".join(f"; s.client({service!r})" for service in services)
    return f"{bare_code}; import boto3.session; s = boto3.session.Session(){clients}"


def _module_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Imports that run when the module is imported: not those under `if TYPE_CHECKING` or in functions."""
    found: list[ast.Import | ast.ImportFrom] = []
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif isinstance(node, ast.Try):
            found.extend(n for n in node.body if isinstance(n, ast.Import | ast.ImportFrom))
    return found


def third_party_imports(files: list[Path]) -> list[str]:
    """The statements these modules of the app use to import third-party code, as they are written.

    Derived from the source of the modules a first request imports, so the bare side imports the same
    third-party packages as the app does, and stays so when the app changes.
    """
    modules: set[str] = set()
    names: dict[str, set[str]] = defaultdict(set)
    for path in files:
        for node in _module_level_imports(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom):
                if node.level or not node.module:
                    continue
                top = node.module.split(".")[0]
                if top in OWN_MODULES or top in sys.stdlib_module_names:
                    continue
                names[node.module].update(alias.name for alias in node.names)
            else:
                for alias in node.names:
                    top = alias.name.split(".")[0]
                    if top not in OWN_MODULES and top not in sys.stdlib_module_names:
                        modules.add(alias.name)
    statements = [f"import {module}" for module in sorted(modules)]
    statements += [f"from {module} import {', '.join(sorted(names[module]))}" for module in sorted(names)]
    return statements


def _run(arguments: list[str], environment: dict[str, str]) -> tuple[float, str, str]:
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - our own interpreter, our own code
        [sys.executable, *arguments], cwd=ROOT, env=environment, capture_output=True, text=True, check=True
    )
    return time.perf_counter() - started, done.stdout, done.stderr


def _timed(code: str, environment: dict[str, str]) -> float:
    """Wall time of a fresh interpreter from its start until `code` has run: it then leaves at once, without the
    interpreter's teardown, as a Lambda function's cold start has none (the environment is frozen, then dropped).
    The teardown took 70-95 ms on each side, growing with the objects made, not with what a request waits for."""
    return _run(["-c", f"{code}\nimport os; os._exit(0)"], environment)[0]


def _import_times(stderr: str) -> dict[str, int]:
    """`-X importtime` lines: module -> microseconds spent in the module itself."""
    times: dict[str, int] = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, _, name = line.removeprefix("import time:").split("|")
        times[name.strip()] = int(own)
    return times


def with_bytecode(environment: dict[str, str], cache: str) -> dict[str, str]:
    """The environment with Python's bytecode cache on, kept under `cache`: both sides then load every module,
    the app's and the third-party ones, from bytecode, as a package with its bytecode would. Without it, where
    PYTHONDONTWRITEBYTECODE is set, the app's modules were compiled from source in every run while the
    dependencies' bytecode, written when pip installed them, was read: the app paid for compiling, the bare side
    did not."""
    prepared = {name: value for name, value in environment.items() if name != "PYTHONDONTWRITEBYTECODE"}
    return {**prepared, "PYTHONPYCACHEPREFIX": cache}


def measure(environment: dict[str, str], runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-bytecode-") as cache:
        return _measure(with_bytecode(environment, cache), runs)


def _measure(environment: dict[str, str], runs: int) -> dict[str, Any]:
    first_request_modules = [Path(file) for file in json.loads(_run(["-c", MODULES_PROBE], environment)[1])]
    bare_statements = third_party_imports(first_request_modules)
    bare_code = "; ".join(bare_statements)
    services: list[str] = json.loads(_run(["-c", CLIENTS_PROBE], environment)[1])
    bare_first_code = bare_first_request(bare_code, services)
    for code in (bare_first_code, FIRST_REQUEST):  # writes the bytecode of everything either side imports
        _run(["-c", code], environment)
    interpreter: list[float] = []
    bare: list[float] = []
    application: list[float] = []
    bare_first: list[float] = []
    app_first: list[float] = []
    bare_teardown: list[float] = []
    app_teardown: list[float] = []
    # Interleaved, so a busy moment of the machine falls on all of them alike.
    for _ in range(runs):
        interpreter.append(_timed("pass", environment))
        bare.append(_timed(bare_code, environment))
        application.append(_timed("import app", environment))
        bare_first.append(_timed(bare_first_code, environment))
        app_first.append(_timed(FIRST_REQUEST, environment))
        bare_teardown.append(_run(["-c", bare_first_code], environment)[0])
        app_teardown.append(_run(["-c", FIRST_REQUEST], environment)[0])

    probes = [json.loads(_run(["-c", CONTAINER_PROBE], environment)[1]) for _ in range(runs)]

    # One -X importtime run each: where the app's extra import time goes, by top-level package.
    app_modules = _import_times(_run(["-X", "importtime", "-c", FIRST_REQUEST], environment)[2])
    bare_modules = _import_times(_run(["-X", "importtime", "-c", bare_code], environment)[2])
    extra: dict[str, int] = defaultdict(int)
    for module, own in app_modules.items():
        if module not in bare_modules:
            extra[module.split(".")[0]] += own
    extra_ms = {package: round(us / 1000, 1) for package, us in sorted(extra.items(), key=lambda kv: -kv[1])}

    app_ms, bare_ms = median_ms(application), median_ms(bare)
    return {
        "runs": runs,
        "bare_import_statement": bare_statements,
        "interpreter_only": spread(interpreter),
        "bare_dependencies": spread(bare),
        "app": spread(application),
        "first_request": {"route": " ".join(reversed(FIRST_REQUEST_ROUTE)), **FIRST_REQUEST_BUILDS},
        "first_request_clients": services,
        "bare_first_request": spread(bare_first),
        "app_first_request": spread(app_first),
        "first_request_ratio": ratio(median_ms(app_first), median_ms(bare_first)),
        "with_teardown": {
            "bare_first_request": spread(bare_teardown),
            "app_first_request": spread(app_teardown),
            "first_request_ratio": ratio(median_ms(app_teardown), median_ms(bare_teardown)),
        },
        "app_over_bare_ratio": ratio(app_ms, bare_ms),
        "app_minus_bare_ms": round(app_ms - bare_ms, 2),
        "modules_only_the_app_imports_ms": dict(list(extra_ms.items())[:8]),
        "container": {
            "import_app": spread([probe["import"] for probe in probes]),
            "area": spread([probe["area"] for probe in probes]),
            "first_build": spread([probe["first"] for probe in probes]),
            "second_build": spread([probe["again"] for probe in probes]),
        },
    }
