#!/usr/bin/env python3
"""Structure checks for the three hand-written crates; CI runs them (.ci/run).

1. No hand-written file is longer than MAX_LINES lines. Counted: every .rs file under
   crates/{authing,authing-cli,authing-emulator}/{src,examples}, up to its first top-level
   `#[cfg(test)]` (unit tests aside); `tests.rs` unit-test modules and the integration tests
   under tests/ are test code and not counted. The generated crate is not looked at.
2. The modules of `authing` import in one direction: the graph of `crate::`/`super::` paths
   between its top-level modules (a directory module such as auth/ is one module; items that
   lib.rs re-exports resolve to the module defining them) has no cycle.
3. The library side of authing-cli (everything but src/bin/) never touches stdout or stderr:
   the engine reports events, the binary presents them.

    scripts/check-structure.py              # run the checks; exit 1 on a violation
    scripts/check-structure.py --counts     # hand-written lines per crate
    scripts/check-structure.py --self-test  # prove each check catches what it should
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRATES = ["authing", "authing-cli", "authing-emulator"]
MAX_LINES = 400
PRINTING = re.compile(r"\b(e?print(ln)?!|dbg!|(std::)?io::(stdout|stderr)\b|\bstdout\(\)|\bstderr\(\))")
CFG_TEST = re.compile(r"^#\[cfg\(test\)\]")


def hand_written_files():
    for crate in CRATES:
        for part in ("src", "examples"):
            base = ROOT / "crates" / crate / part
            for path in sorted(base.rglob("*.rs")):
                if path.name != "tests.rs":
                    yield crate, path


def counted_lines(text):
    """Lines up to the first top-level #[cfg(test)]."""
    n = 0
    for line in text.splitlines():
        if CFG_TEST.match(line):
            break
        n += 1
    return n


def strip_comments(text):
    """Code without // comments (doc comments included) and without string literals."""
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    return "\n".join(line.split("//", 1)[0] for line in text.splitlines())


# ---- 1. file length ----

def long_files(files):
    """files: (name, text) pairs -> [(name, lines)] over the limit."""
    return [(name, n) for name, text in files if (n := counted_lines(text)) > MAX_LINES]


# ---- 2. module graph of a crate ----

def module_of(rel):
    """src-relative path -> module path: lib.rs -> 'crate', auth/mod.rs -> 'auth'."""
    parts = list(Path(rel).with_suffix("").parts)
    if parts[-1] in ("lib", "mod"):
        parts.pop()
    return "::".join(parts) if parts else "crate"


def use_trees(code):
    """Every path a `use` statement names, braces expanded."""
    for stmt in re.findall(r"\buse\s+([^;]+);", code):
        yield from expand(re.sub(r"\s+", "", stmt))


def expand(tree):
    depth, start = 0, None
    for i, c in enumerate(tree):
        if c == "{":
            if depth == 0:
                start = i
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                prefix, inner = tree[:start], tree[start + 1:i]
                for part in split_top(inner):
                    yield from expand(prefix + part)
                return
    yield tree.split(" as ")[0]


def split_top(inner):
    depth, cur = 0, ""
    for c in inner:
        if c == "," and depth == 0:
            if cur:
                yield cur
            cur = ""
            continue
        depth += c == "{"
        depth -= c == "}"
        cur += c
    if cur:
        yield cur


def graph(sources):
    """sources: {src-relative path: text} of one crate -> {top-level module: {modules it uses}}."""
    code = {}
    for rel, text in sources.items():
        cut = text.find("\n#[cfg(test)]")
        code[module_of(rel)] = strip_comments(text if cut < 0 else text[:cut])
    modules = set(code)
    top = {m.split("::")[0] for m in modules}
    # Names lib.rs re-exports, to the module they come from (`pub use error::Error`).
    reexports = {}
    for path in use_trees(code.get("crate", "")):
        segs = [s for s in path.split("::") if s]
        if len(segs) >= 2 and segs[0] in top:
            reexports[segs[-1]] = segs[0]
    # lib.rs is the front: it names every module and is named by none.
    edges = {m: set() for m in top if m != "crate"}
    for m, text in code.items():
        if m == "crate":
            continue
        paths = list(use_trees(text)) + re.findall(r"\b(?:crate|super)(?:::\w+)+", text)
        for path in paths:
            target = resolve(m, [s for s in path.split("::") if s], top, reexports)
            if target and target != m.split("::")[0]:
                edges[m.split("::")[0]].add(target)
    return edges


def resolve(module, segs, top, reexports):
    """The top-level module a `crate::`/`super::` path names (None for other paths)."""
    if not segs:
        return None
    if segs[0] == "super":
        parent = module.rsplit("::", 1)[0] if "::" in module else "crate"
        segs = ([] if parent == "crate" else parent.split("::")) + segs[1:]
    elif segs[0] == "crate":
        segs = segs[1:]
    else:
        return None
    if not segs:
        return "crate"
    if segs[0] in top:
        return segs[0]
    return reexports.get(segs[0], "crate")


def cycle(edges):
    """A cycle as a list of modules, or None."""
    state, stack = {}, []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for n in sorted(edges.get(m, ())):
            if state.get(n) == 1:
                return stack[stack.index(n):] + [n]
            if n not in state and (found := visit(n)):
                return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(edges):
        if m not in state and (found := visit(m)):
            return found
    return None


# ---- 3. printing ----

def printing(files):
    """files: (name, text) pairs -> [(name, line number, line)] that print."""
    hits = []
    for name, text in files:
        code = strip_comments(text).splitlines()
        for i, line in enumerate(code, 1):
            if PRINTING.search(line):
                hits.append((name, i, line.strip()))
    return hits


def authing_sources():
    src = ROOT / "crates" / "authing" / "src"
    return {str(p.relative_to(src)): p.read_text() for p in src.rglob("*.rs")}


def cli_library_files():
    src = ROOT / "crates" / "authing-cli" / "src"
    for p in sorted(src.rglob("*.rs")):
        if "bin" not in p.relative_to(src).parts:
            yield str(p.relative_to(ROOT)), p.read_text()


def check():
    failed = False
    for name, n in long_files((str(p.relative_to(ROOT)), p.read_text()) for _, p in hand_written_files()):
        print(f"too long: {name} has {n} hand-written lines (at most {MAX_LINES}): split it by job")
        failed = True
    found = cycle(graph(authing_sources()))
    if found:
        print("import cycle between modules of authing: " + " -> ".join(found))
        failed = True
    for name, line, text in printing(cli_library_files()):
        print(f"prints: {name}:{line}: {text} (the library reports events; the binary prints)")
        failed = True
    print("structure: " + ("FAILED" if failed else "ok (file length, authing import graph, engine output)"))
    return 1 if failed else 0


def counts():
    totals = {}
    for crate, path in hand_written_files():
        totals[crate] = totals.get(crate, 0) + counted_lines(path.read_text())
    for crate in CRATES:
        print(f"{crate:<18}{totals.get(crate, 0):>6}")
    return 0


def self_test():
    ok = True

    def expect(cond, what):
        nonlocal ok
        print(("ok   " if cond else "FAIL ") + what)
        ok &= bool(cond)

    expect(long_files([("a.rs", "x\n" * 401)]) == [("a.rs", 401)], "a 401-line file is too long")
    expect(long_files([("a.rs", "x\n" * 400 + "#[cfg(test)]\n" + "t\n" * 500)]) == [],
           "unit tests do not count")
    cyclic = {
        "lib.rs": "mod a;\nmod b;\npub use a::Thing;\n",
        "a.rs": "use crate::b::{self, Other};\n",
        "b/mod.rs": "mod c;\n",
        "b/c.rs": "use crate::Thing;\n",
    }
    expect(cycle(graph(cyclic)) is not None, "a cycle through a root re-export is found")
    acyclic = dict(cyclic, **{"b/c.rs": "use super::super::lib_free_fn;\n"})
    expect(cycle(graph(acyclic)) is None, "no cycle, none reported")
    nested = {"lib.rs": "mod a;\nmod b;\n", "a/mod.rs": "mod x;\nuse x::Y;\nuse crate::b::B;\n",
              "a/x.rs": "use super::Z;\n", "b.rs": "fn f() { crate::a::x::g() }"}
    expect(cycle(graph(nested)) is not None, "a use inside a function body counts, submodules too")
    expect(cycle(graph(dict(nested, **{"b.rs": ""}))) is None,
           "a directory module using its own submodules is no cycle")
    expect(printing([("e.rs", 'fn f() { println!("x"); }')]) != [], "println! is caught")
    expect(printing([("e.rs", "let out = std::io::stdout();")]) != [], "std::io::stdout is caught")
    expect(printing([("e.rs", '/// println!("doc")\nlet s = "eprintln!";')]) == [],
           "comments and strings are not code")
    print("self-test: " + ("ok" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    arg = sys.argv[1] if len(sys.argv) > 1 else ""
    sys.exit({"--counts": counts, "--self-test": self_test}.get(arg, check)())
