"""`make routes`: writes the route table (chalicelib/entrypoints/routes.json) from the areas' modules."""

from __future__ import annotations

import json

from app import AREAS, FUNCTIONS
from chalicelib.entrypoints.routing import ROUTE_TABLE, table


def main() -> None:
    """One line a route or function, so a change reads as one line in a diff."""
    written = table(AREAS, FUNCTIONS)
    parts = []
    for key, inner in (("areas", "routes"), ("functions", "functions")):
        entries = written[key]
        modules = [
            f'  {{"module": {json.dumps(entry["module"])}, "{inner}": [\n'
            + ",\n".join(f"    {json.dumps(item, ensure_ascii=False)}" for item in entry[inner])
            + "\n  ]}"
            for entry in entries
        ]
        parts.append(f'"{key}": [\n' + ",\n".join(modules) + "\n]")
    ROUTE_TABLE.write_text("{\n" + ",\n".join(parts) + "\n}\n")
    print(f"wrote {ROUTE_TABLE}")


if __name__ == "__main__":
    main()
