#!/usr/bin/env python3
"""Cross-checks spec/management-supplement.json against Authing's Python SDK.

The supplement is derived from Authing's Node SDK. Where Authing's Python SDK (PyPI
package `authing`) calls the same operation, this compares the HTTP method, the path,
the query parameters and the top-level body fields, and their required-ness, and
writes the differences to spec/supplement-crosscheck.txt. It reads the wheel's
authing/ManagementClient.py with the `ast` module: every method there is one
`self.http_client.request(method=..., url=..., params={...} or json={...})` call.

Usage (scripts/supplement.sh runs it): supplement_crosscheck.py WHEEL [--check]
"""

import ast
import json
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUPPLEMENT = ROOT / "spec/management-supplement.json"
DOCUMENT = ROOT / "spec/management-openapi.json"
REPORT = "spec/supplement-crosscheck.txt"
CLIENT = "authing/ManagementClient.py"


def python_methods(source):
    """{(METHOD, path): [method dict]} for every request the Python client makes."""
    tree = ast.parse(source)
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "ManagementClient")
    found = {}
    for fn in cls.body:
        if not isinstance(fn, ast.FunctionDef):
            continue
        args = [a.arg for a in fn.args.args[1:]]
        optional = set(args[len(args) - len(fn.args.defaults):]) if fn.args.defaults else set()
        for call in ast.walk(fn):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "request"
                    and ast.unparse(call.func.value) == "self.http_client"):
                continue
            kw = {k.arg: k.value for k in call.keywords}
            if not all(isinstance(kw.get(k), ast.Constant) for k in ("method", "url")):
                raise SystemExit(f"{CLIENT}:{call.lineno}: {fn.name}: method or url is not a literal")
            fields = {}
            for where in ("params", "json"):
                node = kw.get(where)
                if node is None:
                    continue
                if not isinstance(node, ast.Dict):
                    raise SystemExit(f"{CLIENT}:{call.lineno}: {fn.name}: {where} is not a dict literal")
                for key, value in zip(node.keys, node.values):
                    if not isinstance(key, ast.Constant):
                        raise SystemExit(f"{CLIENT}:{call.lineno}: {fn.name}: a {where} key is not a literal")
                    arg = value.id if isinstance(value, ast.Name) else None
                    required = arg in args and arg not in optional
                    fields[key.value] = (where, required)
            entry = {"name": fn.name, "line": fn.lineno, "fields": fields}
            found.setdefault((kw["method"].value.upper(), kw["url"].value), []).append(entry)
    return found


def schema_fields(schema, schemas):
    """Top-level property names of a body schema and which are required."""
    while "$ref" in schema or ("allOf" in schema and len(schema["allOf"]) == 1):
        ref = schema["$ref"] if "$ref" in schema else schema["allOf"][0]["$ref"]
        schema = schemas[ref.rsplit("/", 1)[1]]
    required = set(schema.get("required", []))
    return {name: name in required for name in schema.get("properties", {})}


def node_fields(op, schemas):
    fields = {p["name"]: ("params", p.get("required", False)) for p in op.get("parameters", [])}
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if body is not None:
        for name, required in schema_fields(body, schemas).items():
            fields[name] = ("json", required)
    return fields


def compare(node, py):
    """Differences between the Node-derived and the Python fields, one line each."""
    out = []
    where_name = {"params": "query", "json": "body"}
    for name in sorted(set(node) | set(py)):
        if name not in py:
            out.append(f"{where_name[node[name][0]]} {name}: only in the Node SDK")
        elif name not in node:
            out.append(f"{where_name[py[name][0]]} {name}: only in the Python SDK")
        elif node[name][0] != py[name][0]:
            out.append(f"{name}: Node sends it in the {where_name[node[name][0]]}, "
                       f"Python in the {where_name[py[name][0]]}")
        elif node[name][1] != py[name][1]:
            req = {True: "required", False: "optional"}
            out.append(f"{where_name[node[name][0]]} {name}: {req[node[name][1]]} in Node, "
                       f"{req[py[name][1]]} in Python")
    return out


def render(wheel):
    with zipfile.ZipFile(wheel) as z:
        source = z.read(CLIENT).decode()
        version = z.read("authing/version.py").decode()
    py_version = ast.literal_eval(version.split("=", 1)[1].strip())
    py = python_methods(source)
    supplement = json.loads(SUPPLEMENT.read_text())
    document = json.loads(DOCUMENT.read_text())
    schemas = {**document["components"]["schemas"], **supplement["components"]["schemas"]}
    node = f'{supplement["x-authing-source"]["package"]} {supplement["x-authing-source"]["version"]}'

    ops = [(m.upper(), path, op) for path, item in supplement["paths"].items() for m, op in item.items()]
    ops.sort(key=lambda o: (o[1], o[0]))
    matched, same, differing, absent, other_method = [], [], [], [], []
    for method, path, op in ops:
        entries = py.get((method, path))
        if not entries:
            others = sorted(m for (m, p) in py if p == path)
            (other_method if others else absent).append((method, path, others))
            continue
        matched.append(path)
        for entry in entries:
            diffs = compare(node_fields(op, schemas), entry["fields"])
            target = differing if diffs else same
            target.append((method, path, op["x-authing-source"]["method"], entry, diffs))

    doc_only = [(e["method"].upper(), e["path"]) for e in supplement["x-authing-document-only"]]
    known = {(m.upper(), p) for p, item in document["paths"].items() for m in item}
    known |= {(m, p) for m, p, _ in ops}
    py_elsewhere = sorted(k for k in py if k not in known)

    lines = [
        f"Cross-check of spec/management-supplement.json ({node}) against Authing's Python SDK.",
        f"@generated by scripts/supplement.sh (scripts/supplement_crosscheck.py); do not edit.",
        "",
        f"Python SDK : authing {py_version} (PyPI), {CLIENT}: "
        f"{sum(len(v) for v in py.values())} requests in {len(py)} operations",
        "Go SDK     : not checked: authing-golang-sdk is published only through the Go module proxy,",
        "             which this project does not use for other projects' sources.",
        "Compared   : HTTP method, path, query parameter names, top-level body field names, and",
        "             required-ness (a Python argument without a default counts as required).",
        "",
        f"Supplement operations: {len(ops)}",
        f"  also in the Python SDK, same method and path: {len(matched)} "
        f"({len(same)} without differences, {len(differing)} with)",
        f"  on the same path with another method in Python: {len(other_method)}",
        f"  not in the Python SDK: {len(absent)}",
        "",
    ]
    if differing:
        lines.append("Differences (Node-derived supplement vs Python):")
        for method, path, node_name, entry, diffs in differing:
            lines.append(f"  {method} {path}  Node {node_name} / Python {entry['name']} "
                         f"({CLIENT}:{entry['line']})")
            lines += [f"    {d}" for d in diffs]
        lines.append("")
    if same:
        lines.append("Same in both:")
        lines += [f"  {m} {p}  Node {n} / Python {e['name']}" for m, p, n, e, _ in same]
        lines.append("")
    if other_method:
        lines.append("Same path, other HTTP method in Python:")
        lines += [f"  {m} {p}: Python uses {', '.join(o)}" for m, p, o in other_method]
        lines.append("")
    lines.append("Not in the Python SDK:")
    lines += [f"  {m} {p}" for m, p, _ in absent]
    lines.append("")
    lines.append(f"Document operations {node} does not call, and whether Python {py_version} calls them:")
    lines += [f"  {m:<6} {p}: {'called by Python ' + py[(m, p)][0]['name'] if (m, p) in py else 'not called'}"
              for m, p in doc_only]
    token = ("POST", "/api/v3/get-management-token")
    lines.append(f"  (the Python SDK's token provider, outside ManagementClient, calls {token[1]})")
    lines.append("")
    lines.append(f"Python operations in neither document ({len(py_elsewhere)}):")
    lines += [f"  {m} {p}  Python {py[(m, p)][0]['name']}" for m, p in py_elsewhere]
    return "\n".join(lines) + "\n"


def main():
    args = [a for a in sys.argv[1:] if a != "--check"]
    check = "--check" in sys.argv[1:]
    if len(args) != 1:
        raise SystemExit(__doc__)
    text = render(args[0])
    path = ROOT / REPORT
    if check:
        if not path.exists() or path.read_text() != text:
            raise SystemExit(f"{REPORT} is stale; run scripts/supplement.sh")
        print(f"{REPORT} is up to date", file=sys.stderr)
    else:
        path.write_text(text)
        print(f"wrote {REPORT}", file=sys.stderr)


if __name__ == "__main__":
    main()
