#!/usr/bin/env python3
"""End-to-end: traceable copies of Python PoCs stay the same program.

For every fixture in tests/fixtures/python, 100 copies (seeds 1..100) are
rendered with the mark tool.  Each copy must parse, compile with
`python3 -m py_compile`, differ from every other copy, come out byte for
byte the same when rendered again with the same seed (checked for every
fifth seed), and have the same abstract syntax tree as the original once
both are canonicalised:

  - identifiers become placeholders numbered by first appearance, per
    scope (locals of a function by nesting depth, globals file-wide),
    which undoes consistent renaming but nothing else: attribute names,
    keyword names and strings are compared as they are;
  - keyword arguments are sorted where every value is a literal or a
    plain name (elsewhere their order must not change);
  - runs of adjacent literal assignments and of top-level def/class
    blocks are compared as sets (the order the tool may permute);
  - the py.expr equivalences are undone (range(0, n), dict(), list(),
    not a == b, join over a list, return None, in [..], open(f, "r")).

A few copies of each are also run (--help, and the fixtures' offline
modes) and must print and write exactly what the original does.

MARK_TOOL names the tool (default /tmp/mark_tool_X), EMBARGO_SRC the
repository (default: two levels above this file).  Run standalone:
python3 tests/e2e/test_mark_python.py
"""

import ast
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("EMBARGO_SRC") or os.path.dirname(os.path.dirname(HERE))
TOOL = os.environ.get("MARK_TOOL") or "/tmp/mark_tool_X"
FIXTURES = os.path.join(SRC, "tests", "fixtures", "python")
SEEDS = range(1, 101)
RUN_COPIES = 5

# Offline invocations whose output must not change: (args, files written).
BEHAVIOUR = {
    "ssrf_probe.py": [
        (["--help"], []),
        (["victim.example", "--dry-run", "--token", "t0k"], []),
        (["victim.example", "-p", "80", "--no-tls", "--dry-run"], []),
    ],
    "pickle_gadget.py": [
        (["--help"], []),
        (["-o", "out.txt", "--dis"], ["out.txt"]),
        (["-o", "h.txt", "--header", "--popen", "-c", "id -a"], ["h.txt"]),
        (["--check", "RkNNUwADAAAAAw"], []),
    ],
    "proto_fuzzer.py": [
        (["--help"], []),
        (["10.0.0.5", "--dry-run", "--fuzz", "6", "--seed", "7"], []),
    ],
    "auth_bypass.py": [
        (["--help"], []),
        (["gw.example", "--dry-run", "--user", "root"], []),
    ],
}


def fixtures():
    return sorted(f for f in os.listdir(FIXTURES) if f.endswith(".py"))


def render(path, seed, env=None):
    out = subprocess.run(
        [TOOL, "render", "python", path, str(seed)],
        check=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        timeout=60,
        env=env,
    )
    return out.stdout


def render_all(path):
    # A sanitizer build spends most of a short run in its leak check at
    # exit; the bulk renders skip it (the determinism renders keep it)
    # unless ASAN_OPTIONS says otherwise.
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=0")
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda s: render(path, s, env), SEEDS))


# ---- canonical form ----

FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
COMPS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def simple(node):
    """A literal or a plain name / attribute chain."""
    if isinstance(node, ast.Constant):
        return not isinstance(node.value, (list, dict))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return isinstance(node.operand, ast.Constant)
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def literal_only(node):
    for sub in ast.walk(node):
        if isinstance(sub, (ast.Name, ast.Call, ast.Attribute, ast.Subscript,
                            ast.JoinedStr, ast.Lambda, ast.NamedExpr)):
            return False
    return True


class Normalise(ast.NodeTransformer):
    """Undo the py.expr equivalences and sort plain keyword arguments."""

    def visit_Call(self, node):
        self.generic_visit(node)
        f = node.func
        if isinstance(f, ast.Name) and not node.keywords:
            a = node.args
            if (f.id == "range" and len(a) == 2 and
                    isinstance(a[0], ast.Constant) and a[0].value == 0 and
                    type(a[0].value) is int):
                node.args = a[1:]
            elif f.id == "dict" and not a:
                return ast.Dict(keys=[], values=[])
            elif f.id == "list" and not a:
                return ast.List(elts=[], ctx=ast.Load())
            elif (f.id == "open" and len(a) == 2 and
                  isinstance(a[1], ast.Constant) and a[1].value == "r"):
                node.args = a[:1]
        if (isinstance(f, ast.Attribute) and f.attr == "join" and
                isinstance(f.value, ast.Constant) and len(node.args) == 1 and
                isinstance(node.args[0], ast.ListComp)):
            lc = node.args[0]
            node.args = [ast.GeneratorExp(elt=lc.elt, generators=lc.generators)]
        if node.keywords and all(k.arg is not None and simple(k.value)
                                 for k in node.keywords):
            node.keywords.sort(key=lambda k: k.arg)
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        c = node.operand
        if (isinstance(node.op, ast.Not) and isinstance(c, ast.Compare) and
                len(c.ops) == 1 and isinstance(c.ops[0], ast.Eq)):
            return ast.Compare(left=c.left, ops=[ast.NotEq()],
                               comparators=c.comparators)
        return node

    def visit_Compare(self, node):
        self.generic_visit(node)
        for i, op in enumerate(node.ops):
            c = node.comparators[i]
            if isinstance(op, (ast.In, ast.NotIn)) and isinstance(c, ast.List):
                node.comparators[i] = ast.Tuple(elts=c.elts, ctx=ast.Load())
        return node

    def _iter(self, node):
        self.generic_visit(node)
        if isinstance(node.iter, ast.List):
            node.iter = ast.Tuple(elts=node.iter.elts, ctx=ast.Load())
        return node

    visit_For = _iter
    visit_comprehension = _iter

    def visit_Import(self, node):
        node.names.sort(key=lambda a: (a.name, a.asname or ""))
        return node

    visit_ImportFrom = visit_Import

    def visit_Return(self, node):
        self.generic_visit(node)
        if isinstance(node.value, ast.Constant) and node.value.value is None:
            node.value = None
        return node


def quiet_import(stmt):
    if isinstance(stmt, ast.ImportFrom):
        return stmt.module != "__future__" and stmt.level == 0 and \
            all(a.name != "*" for a in stmt.names)
    return isinstance(stmt, ast.Import)


def const_assign(stmt):
    return (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and
            isinstance(stmt.targets[0], ast.Name) and
            literal_only(stmt.value))


def block_def(stmt):
    return (isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef,
                              ast.ClassDef)) and not stmt.decorator_list)


def runs(body, top):
    """Split a statement list into items: a statement or a list (a run)."""
    items, i = [], 0
    while i < len(body):
        kind = (const_assign if const_assign(body[i]) else
                block_def if top and block_def(body[i]) else
                quiet_import if top and quiet_import(body[i]) else None)
        j = i + 1
        while kind and j < len(body) and kind(body[j]):
            j += 1
        items.append(body[i:j] if j - i >= 2 else body[i])
        i = j
    return items


class Binder(ast.NodeVisitor):
    """Names a scope binds (not descending into nested scopes)."""

    def __init__(self):
        self.bound, self.globals, self.nonlocals = set(), set(), set()

    def bind_args(self, args):
        for a in args.posonlyargs + args.args + args.kwonlyargs:
            self.bound.add(a.arg)
        for a in (args.vararg, args.kwarg):
            if a:
                self.bound.add(a.arg)

    def visit_Name(self, node):
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            self.bound.add(node.id)

    def visit_FunctionDef(self, node):
        self.bound.add(node.name)
        for d in node.decorator_list + node.args.defaults + [
                d for d in node.args.kw_defaults if d]:
            self.visit(d)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        self.bound.add(node.name)
        for d in node.decorator_list + node.bases + node.keywords:
            self.visit(d)

    def visit_Lambda(self, node):
        for d in node.args.defaults:
            self.visit(d)

    def _comp(self, node):
        self.visit(node.generators[0].iter)
        for sub in ast.walk(node):
            if isinstance(sub, ast.NamedExpr):
                self.bound.add(sub.target.id)

    visit_ListComp = visit_SetComp = visit_DictComp = _comp
    visit_GeneratorExp = _comp

    def visit_NamedExpr(self, node):
        self.bound.add(node.target.id)
        self.visit(node.value)

    def visit_Import(self, node):
        for a in node.names:
            self.bound.add(a.asname or a.name.split(".")[0])

    visit_ImportFrom = visit_Import

    def visit_ExceptHandler(self, node):
        if node.name:
            self.bound.add(node.name)
        self.generic_visit(node)

    def visit_Global(self, node):
        self.globals.update(node.names)

    def visit_Nonlocal(self, node):
        self.nonlocals.update(node.names)


def scope_info(node):
    b = Binder()
    if isinstance(node, FUNCS):
        b.bind_args(node.args)
        body = node.body if isinstance(node.body, list) else [node.body]
        for s in body:
            b.visit(s)
    elif isinstance(node, COMPS):
        for g in node.generators:
            for sub in ast.walk(g.target):
                if isinstance(sub, ast.Name):
                    b.bound.add(sub.id)
    elif isinstance(node, ast.ClassDef):
        for s in node.body:
            b.visit(s)
    b.bound -= b.globals | b.nonlocals
    return b


class Scope(object):
    def __init__(self, node, parent, depth):
        self.node, self.parent, self.depth = node, parent, depth
        self.info = scope_info(node)
        self.names = {}
        self.deferred = []  # runs whose names are numbered last

    def is_class(self):
        return isinstance(self.node, ast.ClassDef)

    def owner(self):
        """The function or module whose names a run's names are."""
        s = self
        while s.is_class():
            s = s.parent
        return s


class Canon(object):
    """Canonical text of a module (see the file comment).

    Names are numbered by first appearance in a first pass that visits
    the runs of a scope only after the rest of it, the runs' statements
    in an order that does not depend on names (and statements that tie
    in that order after all others); the second pass prints.

    With key set, identifiers the tool may rename (locals, parameters,
    private globals) all read "_" and the others keep their names: that
    is the name-free order.
    """

    def __init__(self, key=False, scopes=None):
        self.key = key
        self.globals = {}
        self.scopes = scopes if scopes is not None else {}

    def scope_for(self, node, parent):
        if id(node) not in self.scopes:
            depth = parent.depth + (0 if isinstance(node, ast.ClassDef)
                                    else 1)
            self.scopes[id(node)] = Scope(node, parent, depth)
        return self.scopes[id(node)]

    def glob(self, name):
        if self.key:
            return "_" if name.startswith("_") and not \
                name.startswith("__") else name
        if name not in self.globals:
            self.globals[name] = "G%d" % len(self.globals)
        return self.globals[name]

    def resolve(self, name, scope):
        first = True
        s = scope
        while s is not None:
            if s.is_class():
                if first and name in s.info.bound:
                    return name  # class attributes keep their names
            else:
                if name in s.info.globals:
                    return self.glob(name)
                if name in s.info.bound:
                    if self.key:
                        return "_"
                    if name not in s.names:
                        s.names[name] = "L%d_%d" % (s.depth, len(s.names))
                    return s.names[name]
            first = False
            s = s.parent
        return self.glob(name)

    def key_of(self, node, scope):
        return Canon(True, {}).walk(node, scope, True)

    def flush(self, scope):
        while scope.deferred:
            todo, scope.deferred = scope.deferred, []
            later = []
            for run, sc in todo:
                keys = [self.key_of(e, sc) for e in run]
                order = sorted(range(len(run)), key=lambda k: keys[k])
                for k in order:
                    if keys.count(keys[k]) > 1:
                        later.append((run[k], sc))
                    else:
                        self.walk(run[k], sc, False)
            for e, sc in later:
                self.walk(e, sc, False)

    def walk(self, node, scope, text):
        """Number names (text False) or print (text True)."""
        if isinstance(node, list):
            if node and isinstance(node[0], ast.stmt):
                return self.walk_body(node, scope, False, text)
            return "[" + ",".join(self.walk(x, scope, text)
                                  for x in node) + "]"
        if not isinstance(node, ast.AST):
            return repr(node)
        child = scope
        if isinstance(node, FUNCS + COMPS + (ast.ClassDef,)):
            child = self.scope_for(node, scope)
        parts = [type(node).__name__]
        for field, value in ast.iter_fields(node):
            if isinstance(node, ast.Name) and field == "id":
                parts.append(self.resolve(value, scope))
                continue
            if isinstance(node, ast.arg) and field == "arg":
                parts.append(self.resolve(value, scope))
                continue
            if (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                  ast.ClassDef)) and field == "name"):
                parts.append(self.resolve(value, scope))
                continue
            if isinstance(node, ast.ExceptHandler) and field == "name":
                parts.append(self.resolve(value, scope) if value else "-")
                continue
            if isinstance(node, (ast.Global, ast.Nonlocal)):
                parts.append(",".join(self.resolve(n, scope) for n in value))
                continue
            # Defaults, decorators and bases belong to the outer scope.
            sc = child
            if isinstance(node, FUNCS + (ast.ClassDef,)) and field in (
                    "decorator_list", "bases", "keywords", "returns"):
                sc = scope
            if isinstance(node, ast.arguments) and field in (
                    "defaults", "kw_defaults"):
                sc = scope.parent if scope.parent else scope
            if isinstance(node, ast.arg) and field == "annotation":
                sc = scope.parent if scope.parent else scope
            if isinstance(value, list) and value and \
                    isinstance(value[0], ast.stmt):
                parts.append(self.walk_body(value, sc,
                                            isinstance(node, ast.Module),
                                            text))
            else:
                parts.append(self.walk(value, sc, text))
        if not text and not self.key and isinstance(node, FUNCS):
            self.flush(child)
        return "%s(%s)" % (parts[0], ",".join(parts[1:]))

    def walk_body(self, body, scope, top, text):
        items = runs(body, top) if not scope.is_class() else list(body)
        out = []
        for it in items:
            if not isinstance(it, list):
                out.append(self.walk(it, scope, text))
            elif text or self.key:
                texts = sorted(self.walk(e, scope, text) for e in it)
                out.append("RUN{" + ";".join(texts) + "}")
            else:
                scope.owner().deferred.append((it, scope))
        return "[" + ",".join(out) + "]"


def canonical(source):
    tree = Normalise().visit(ast.parse(source))
    ast.fix_missing_locations(tree)
    module = Scope(tree, None, 0)
    c = Canon()
    c.walk(tree, module, False)
    c.flush(module)
    return c.walk(tree, module, True)


# ---- the tests ----

class MarkPythonTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if not os.access(TOOL, os.X_OK):
            raise unittest.SkipTest("no mark tool at %s" % TOOL)
        cls.tmp = tempfile.mkdtemp(prefix="embargo-markpy-")
        cls.copies = {}
        for name in fixtures():
            path = os.path.join(FIXTURES, name)
            cls.copies[name] = render_all(path)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_fixtures_look_like_pocs(self):
        self.assertGreaterEqual(len(fixtures()), 4)
        for name in fixtures():
            with open(os.path.join(FIXTURES, name), "rb") as f:
                lines = f.read().count(b"\n")
            self.assertTrue(150 <= lines <= 220, "%s: %d lines" % (name, lines))

    def test_distinct_and_deterministic(self):
        for name, copies in self.copies.items():
            self.assertEqual(len(set(copies)), len(copies), name)
            path = os.path.join(FIXTURES, name)
            # Every fifth seed again, with the sanitizers' leak check on.
            for seed in SEEDS[::5]:
                self.assertEqual(render(path, seed), copies[seed - 1], name)
            with open(path, "rb") as f:
                orig = f.read()
            self.assertNotIn(orig, copies[:10])

    def test_same_program(self):
        for name, copies in self.copies.items():
            with open(os.path.join(FIXTURES, name), encoding="utf-8") as f:
                want = canonical(f.read())
            for seed, copy in zip(SEEDS, copies):
                text = copy.decode("utf-8")
                compile(text, name, "exec")
                got = canonical(text)
                if got != want:
                    self.fail("%s seed %d differs:\n%s" %
                              (name, seed, first_diff(want, got)))

    def test_py_compile(self):
        for name, copies in self.copies.items():
            d = os.path.join(self.tmp, "compile", name[:-3])
            os.makedirs(d, exist_ok=True)
            files = []
            for seed, copy in zip(SEEDS, copies):
                p = os.path.join(d, "c%03d.py" % seed)
                with open(p, "wb") as f:
                    f.write(copy)
                files.append(p)
            r = subprocess.run([sys.executable, "-m", "py_compile"] + files,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            self.assertEqual(r.returncode, 0, r.stderr.decode())

    def test_behaviour(self):
        for name, runs_ in BEHAVIOUR.items():
            with open(os.path.join(FIXTURES, name), "rb") as f:
                orig = f.read()
            texts = [orig] + self.copies[name][:RUN_COPIES]
            results = run_copies(self.tmp, name, texts, runs_)
            for k in range(1, len(texts)):
                for j, (args, outs) in enumerate(runs_):
                    self.assertEqual(results[k][j], results[0][j],
                                     "%s copy %d %s" % (name, k - 1, args))


# Runs every copy of one fixture in one interpreter (starting Python for
# each run costs more than all the runs together): a fresh __main__ per
# run, its own directory, argv[0] the fixture's name.
RUNNER = r"""
import base64, contextlib, io, json, os, runpy, sys
jobs = json.load(sys.stdin)
out = []
for job in jobs:
    os.chdir(job["dir"])
    sys.argv = [job["name"]] + job["args"]
    o, e = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):
        try:
            runpy.run_path(job["name"], run_name="__main__")
        except SystemExit as x:
            code = x.code
    files = []
    for f in job["outs"]:
        with open(f, "rb") as fh:
            files.append(base64.b64encode(fh.read()).decode())
    out.append([code, o.getvalue(), e.getvalue(), files])
json.dump(out, sys.stdout)
"""


def run_copies(tmp, name, texts, runs_):
    jobs = []
    for k, text in enumerate(texts):
        for j, (args, outs) in enumerate(runs_):
            d = os.path.join(tmp, "run", name[:-3], "c%d_%d" % (k, j))
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, name), "wb") as f:
                f.write(text)
            jobs.append({"dir": d, "name": name, "args": args,
                         "outs": outs})
    r = subprocess.run([sys.executable, "-c", RUNNER], check=True,
                       input=json.dumps(jobs).encode(), timeout=120,
                       stdout=subprocess.PIPE)
    res = json.loads(r.stdout)
    n = len(runs_)
    return [res[k * n:(k + 1) * n] for k in range(len(texts))]


def first_diff(a, b):
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    return "want ...%s\n got ...%s" % (a[max(0, i - 150):i + 150],
                                      b[max(0, i - 150):i + 150])


if __name__ == "__main__":
    unittest.main()
