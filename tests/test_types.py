"""Types: the stub of the compiled module agrees with it, and mypy passes on the package.

The stub (python/descend/_core.pyi) is written by hand. `stub_problems` compares it with what
pybind11 reports about the module it describes (names, classes and their bases, methods,
properties, parameter names, which parameters have defaults, scalar types) and says, for every
difference, what to add to or remove from the stub. It reads the stub installed next to the
module (so the wheel must ship it); mypy reads the source tree (python/descend) and README.md's
```python blocks, with the settings of pyproject.toml's [tool.mypy] and a cache kept in
pytest's cache directory (about 7 s cold, under 1 s warm).
"""

from __future__ import annotations

import __future__
import ast
import importlib.util
import inspect
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from descend import _core

ROOT = Path(__file__).resolve().parents[1]
STUB_NAME = "python/descend/_core.pyi"
#: The stub as installed next to the module (the wheel must ship it).
INSTALLED_STUB = Path(_core.__file__).with_name("_core.pyi")

#: pybind11's spelling of the scalar types, and the stub's.
SCALARS = {
    "str": "str",
    "bool": "bool",
    "float": "float",
    "int": "int",
    "None": "None",
    "typing.SupportsFloat | typing.SupportsIndex": "float",
    "typing.SupportsInt | typing.SupportsIndex": "int",
}


@dataclass(frozen=True)
class Param:
    name: str
    default: str | None  # the default's text, "..." when the stub does not say, None if none
    positional_only: bool
    kind: str = ""  # "", "*" or "**"
    type: str | None = None  # the stub's spelling of a scalar type, None when not a scalar
    keyword_only: bool = False

    def key(self):
        return (None if self.positional_only else self.name, self.default is not None, self.kind,
                self.keyword_only)

    def __str__(self):
        text = self.kind + self.name
        return text + ("=" + self.default if self.default is not None else "")


@dataclass(frozen=True)
class Signature:
    params: tuple[Param, ...]
    returns: str | None  # the stub's spelling of a scalar return type, None otherwise
    text: str  # as written (pybind11's docstring line, or the stub's def)

    def render(self):
        parts, star = [], False
        for i, p in enumerate(self.params):
            if p.keyword_only and not star:
                parts.append("*")
            star = star or p.keyword_only or p.kind == "*"
            parts.append(str(p))
            if p.positional_only and (i + 1 == len(self.params)
                                      or not self.params[i + 1].positional_only):
                parts.append("/")
        return "(" + ", ".join(parts) + ")"


@dataclass
class Member:
    kind: str  # "class", "function", "property", "field", "attribute"
    signatures: list[Signature] | None = None  # functions and methods
    writable: bool = False  # properties
    type: str | None = None  # properties and attributes: the scalar type, if one
    members: dict[str, Member] | None = None  # classes
    bases: tuple[str, ...] = ()  # classes
    doc: str = ""  # pybind11's signature line(s), for the messages


# --- the module, as pybind11 describes it -------------------------------------------------


def _split_top(text, sep=","):
    """Split `text` at `sep` outside brackets and quotes."""
    parts, depth, quote, start = [], 0, None, 0
    for i, ch in enumerate(text):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def _parse_pybind_line(line, name, method):
    """`name(a: T, b: U = 1) -> R` as a Signature (self dropped from methods)."""
    if not line.startswith(name + "("):
        raise AssertionError(f"unexpected signature line for {name}: {line!r}")
    # Find the parenthesis that closes the parameter list.
    depth, quote, end = 0, None, None
    for i, ch in enumerate(line[len(name):], start=len(name)):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                end = i
                break
    assert end is not None, line
    inner, rest = line[len(name) + 1:end], line[end + 1:].strip()
    returns = rest[2:].strip() if rest.startswith("->") else None
    raw = [p for p in _split_top(inner) if p]
    params, keyword_only = [], False
    for p in raw:
        if p == "/":
            params = [Param(q.name, q.default, True, q.kind, q.type) for q in params]
            continue
        if p == "*":
            keyword_only = True
            continue
        kind = "**" if p.startswith("**") else "*" if p.startswith("*") else ""
        keyword_only = keyword_only or kind == "*"
        p = p[len(kind):]
        head, _, default = (s.strip() for s in p.partition("="))
        if len(_split_top(p, "=")) == 1:
            default = None
        pname, _, ptype = (s.strip() for s in head.partition(":"))
        params.append(Param(pname, default or None, bool(re.fullmatch(r"arg\d+", pname)), kind,
                            SCALARS.get(ptype), keyword_only and not kind))
    if method and params:
        params = params[1:]
    return Signature(tuple(params), SCALARS.get(returns) if returns else None, line)


def _pybind_signatures(obj, name, method):
    lines = (obj.__doc__ or "").strip().splitlines()
    if not lines:
        raise AssertionError(f"{name} has no pybind11 signature")
    if len(lines) > 1 and lines[1].strip() == "Overloaded function.":
        overloads = [m.group(1) for m in
                     (re.match(r"\d+\. (.*)$", ln.strip()) for ln in lines[2:]) if m]
        return [_parse_pybind_line(o, name, method) for o in overloads]
    return [_parse_pybind_line(lines[0], name, method)]


def _is_pybind_function(value):
    return callable(value) and (value.__doc__ or "").lstrip().startswith(
        getattr(value, "__name__", "?") + "(")


def _runtime_class(cls):
    members = {}
    for name, value in vars(cls).items():
        if name.startswith("_") and name != "__init__":
            continue
        if name == "__init__" and not _is_pybind_function(value):
            continue  # no constructor: pybind11 leaves object's (which refuses)
        if isinstance(value, property):
            lines = (value.fget.__doc__ or "").strip().splitlines() if value.fget else []
            returns = lines[0].rpartition("->")[2].strip() if lines and "->" in lines[0] else None
            members[name] = Member("property", writable=value.fset is not None,
                                   type=SCALARS.get(returns or ""), doc=lines[0] if lines else "")
        elif inspect.isclass(value):
            members[name] = _runtime_class(value)
        elif isinstance(value, cls):
            members[name] = Member("attribute", doc=f"{cls.__name__}.{name} (an enum member)")
        elif isinstance(value, staticmethod):
            sigs = _pybind_signatures(value.__func__, name, method=False)
            members[name] = Member("staticmethod", sigs, doc="\n".join(s.text for s in sigs))
        elif callable(value):
            sigs = _pybind_signatures(value, name, method=True)
            members[name] = Member("function", sigs, doc="\n".join(s.text for s in sigs))
        else:
            members[name] = Member("attribute", type=SCALARS.get(type(value).__name__),
                                   doc=f"{name} = {value!r}")
    bases = tuple(b.__name__ for b in cls.__bases__ if b.__name__ != "pybind11_object")
    return Member("class", members=members, bases=bases, doc=f"class {cls.__name__}")


def runtime_module(module):
    """The public names of `module` (the compiled names _core.py re-exports, and its own)."""
    members = {}
    for name, value in vars(module).items():
        if name.startswith("_") or inspect.ismodule(value) or isinstance(value, __future__._Feature):
            continue
        if inspect.isclass(value):
            members[name] = _runtime_class(value)
        elif _is_pybind_function(value):
            sigs = _pybind_signatures(value, name, method=False)
            members[name] = Member("function", sigs, doc="\n".join(s.text for s in sigs))
        elif callable(value):
            raise AssertionError(f"{name}: a callable without a pybind11 signature")
        else:
            members[name] = Member("attribute", type=SCALARS.get(type(value).__name__),
                                   doc=f"{name} = {value!r}")
    return members


# --- the stub, as written ------------------------------------------------------------------


def _stub_signature(node, method):
    a = node.args
    positional = [*a.posonlyargs, *a.args]
    defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    params = []
    for i, (arg, default) in enumerate(zip(positional, defaults)):
        posonly = i < len(a.posonlyargs) or (arg.arg.startswith("__")
                                             and not arg.arg.endswith("__"))
        params.append(Param(arg.arg, None if default is None else ast.unparse(default), posonly,
                            "", _annotation(arg.annotation)))
    if a.vararg:
        params.append(Param(a.vararg.arg, None, False, "*"))
    for arg, default in zip(a.kwonlyargs, a.kw_defaults):
        params.append(Param(arg.arg, None if default is None else ast.unparse(default), False,
                            "", _annotation(arg.annotation), keyword_only=True))
    if a.kwarg:
        params.append(Param(a.kwarg.arg, None, False, "**"))
    if method and params:
        params = params[1:]
    text = f"def {node.name}({ast.unparse(a)})"
    return Signature(tuple(params), _annotation(node.returns), text)


def _annotation(node):
    if node is None:
        return None
    text = ast.unparse(node)
    return text if text in SCALARS.values() else None


def _decorators(node):
    return [ast.unparse(d) for d in node.decorator_list]


def _stub_body(body, in_class):
    members = {}
    for node in body:
        if isinstance(node, ast.ClassDef):
            if node.name.startswith("_"):
                continue
            members[node.name] = Member("class", members=_stub_body(node.body, True),
                                        bases=tuple(ast.unparse(b) for b in node.bases))
        elif isinstance(node, ast.FunctionDef):
            if node.name.startswith("_") and not (in_class and node.name == "__init__"):
                continue
            decorators = _decorators(node)
            if "property" in decorators:
                members[node.name] = Member("property", type=_annotation(node.returns))
            elif f"{node.name}.setter" in decorators:
                members[node.name].writable = True
            else:
                kind = "staticmethod" if "staticmethod" in decorators else "function"
                sig = _stub_signature(node, method=in_class and kind == "function")
                old = members.get(node.name)
                if old is not None and old.kind == kind and "overload" in decorators:
                    old.signatures.append(sig)
                else:
                    members[node.name] = Member(kind, [sig])
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            name = node.target.id
            if name.startswith("_"):
                continue
            annotation = ast.unparse(node.annotation)
            if annotation.startswith(("ClassVar", "typing.ClassVar")) or not in_class:
                members[name] = Member("attribute", type=_annotation(node.annotation))
            else:  # an instance attribute: a writable property of the compiled class
                members[name] = Member("field", type=_annotation(node.annotation))
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and not target.id.startswith("_"):
                    members[target.id] = Member("attribute")
    return members


def stub_module(source):
    return _stub_body(ast.parse(source).body, in_class=False)


# --- the comparison ------------------------------------------------------------------------


def _describe(member):
    if member.kind == "property":
        return "a read-write property" if member.writable else "a read-only property"
    return {"class": "a class", "function": "a function or method", "field": "an attribute",
            "attribute": "a class or module attribute", "staticmethod": "a static method"
            }[member.kind]


def _compatible(real, stub):
    if real.kind == stub.kind:
        return not (real.kind == "property" and real.writable != stub.writable)
    if real.kind == "property" and real.writable and stub.kind == "field":
        return True  # `x: T` in a class: a read-write attribute
    return False


def _compare(real, stub, where, problems):
    for name in sorted(set(real) - set(stub)):
        r = real[name]
        hint = f" (pybind11: {r.doc})" if r.doc else ""
        what = ("a property with a setter" if r.kind == "property" and r.writable
                else _describe(r))
        problems.append(f"{where}{name}: in the module but not in the stub: add it to "
                        f"{STUB_NAME} as {what}{hint}")
    for name in sorted(set(stub) - set(real)):
        problems.append(f"{where}{name}: in the stub but not in the module: remove it from "
                        f"{STUB_NAME}")
    for name in sorted(set(real) & set(stub)):
        r, s = real[name], stub[name]
        qual = f"{where}{name}"
        if not _compatible(r, s):
            problems.append(f"{qual}: {_describe(r)} in the module but {_describe(s)} in the "
                            f"stub: make it {_describe(r)} in {STUB_NAME}"
                            + (f" (pybind11: {r.doc})" if r.doc else ""))
            continue
        if r.kind == "class":
            if r.bases != s.bases:
                problems.append(f"{qual}: the module's class derives from "
                                f"({', '.join(r.bases)}), the stub's from ({', '.join(s.bases)})")
            _compare(r.members, s.members, qual + ".", problems)
        elif r.kind in ("function", "staticmethod"):
            _compare_signatures(r, s, qual, problems)
        elif r.type is not None and s.type != r.type:
            problems.append(f"{qual}: its type is {r.type} in the module, {s.type or 'another'} "
                            f"in the stub: annotate it as {r.type}")


def _literal(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return ...


def _compare_signatures(real, stub, qual, problems):
    real_sigs = sorted(real.signatures, key=lambda s: repr([p.key() for p in s.params]))
    stub_sigs = sorted(stub.signatures, key=lambda s: repr([p.key() for p in s.params]))
    if len(real_sigs) != len(stub_sigs):
        problems.append(f"{qual}: {len(real_sigs)} overload(s) in the module, "
                        f"{len(stub_sigs)} in the stub: pybind11 says\n    "
                        + "\n    ".join(s.text for s in real_sigs))
        return
    for r, s in zip(real_sigs, stub_sigs):
        if [p.key() for p in r.params] != [p.key() for p in s.params]:
            problems.append(f"{qual}: the parameters are {r.render()} in the module but "
                            f"{s.render()} in the stub (`/` marks pybind11's unnamed, "
                            f"positional-only ones): change the stub's to match pybind11's "
                            f"`{r.text}`")
            continue
        for rp, sp in zip(r.params, s.params):
            if rp.type is not None and sp.type != rp.type:
                problems.append(f"{qual}: parameter {rp.name} is {rp.type} in the module, "
                                f"{sp.type or 'another type'} in the stub: annotate it as "
                                f"{rp.type}")
            if (rp.default is not None and sp.default not in (None, "...")
                    and _literal(rp.default) is not ... and _literal(sp.default) is not ...
                    and _literal(rp.default) != _literal(sp.default)):
                problems.append(f"{qual}: parameter {rp.name} defaults to {rp.default} in the "
                                f"module, {sp.default} in the stub")
        if r.returns is not None and s.returns != r.returns:
            problems.append(f"{qual}: it returns {r.returns} in the module, "
                            f"{s.returns or 'another type'} in the stub: annotate the return "
                            f"as {r.returns}")


def stub_problems(stub_source, module=_core):
    """Every difference between the stub's text and `module`, as instructions."""
    problems = []
    _compare(runtime_module(module), stub_module(stub_source), f"{module.__name__}.", problems)
    return problems


# --- the tests -----------------------------------------------------------------------------


def test_the_stub_is_installed_with_the_package():
    assert INSTALLED_STUB.is_file(), f"{INSTALLED_STUB} is missing: the wheel must ship the stub"
    assert (INSTALLED_STUB.parent / "py.typed").is_file()


def test_the_stub_agrees_with_the_compiled_module():
    problems = stub_problems(INSTALLED_STUB.read_text())
    assert not problems, (
        f"{STUB_NAME} disagrees with the compiled module (after a change to cpp/bindings, "
        f"update the stub, reinstall and rerun):\n- " + "\n- ".join(problems))


@pytest.mark.parametrize(("old", "new", "expected"), [
    # A name the module has and the stub lost.
    ("def permutation(n: int, seed: int, epoch: int) -> NDArray[np.int64]: ...\n", "",
     "descend._core.permutation: in the module but not in the stub: add it"),
    # A name the stub has and the module does not.
    ("class Rosenbrock(Objective):", "def extra() -> None: ...\nclass Rosenbrock(Objective):",
     "descend._core.extra: in the stub but not in the module: remove it"),
    # A renamed parameter.
    ("def factor(self, t: int)", "def factor(self, step: int)",
     "descend._core.Schedule.factor: the parameters are (t) in the module but (step)"),
    # A lost default.
    ("scale: float = 1.0", "scale: float",
     "descend._core.Stepper.step: the parameters are (params, grad, scale=1.0)"),
    # A method of a class.
    ("    def zero_state(self) -> None: ...\n", "",
     "descend._core.Stepper.zero_state: in the module but not in the stub"),
    # A read-only property made writable, and a scalar type changed.
    ("    @property\n    def nit(self) -> int: ...\n", "    nit: int\n",
     "descend._core.IterationInfo.nit: a read-only property in the module but an attribute"),
    ("def classify_curvature(low: float,", "def classify_curvature(low: int,",
     "descend._core.classify_curvature: parameter low is float in the module, int"),
    # A parameter made keyword-only.
    ("high: float, rtol: float", "high: float, *, rtol: float",
     "descend._core.classify_curvature: the parameters are (low, high, rtol=1e-08) in the "
     "module but (low, high, *, rtol=1e-08)"),
    # An enum member.
    ("        simplex: ClassVar[Projection.Kind]\n", "",
     "descend._core.Projection.Kind.simplex: in the module but not in the stub"),
], ids=["missing", "extra", "renamed-parameter", "lost-default", "missing-method",
        "writable-property", "scalar-type", "keyword-only", "enum-member"])
def test_the_stub_check_fails_on_a_difference(old, new, expected):
    source = INSTALLED_STUB.read_text()
    assert old in source, "the stub changed: update this test's edit"
    problems = stub_problems(source.replace(old, new, 1))
    assert any(p.startswith(expected) for p in problems), problems


def _readme_examples():
    """README.md's ```python blocks as one module, each line at its line number in README.md."""
    lines, inside = [], False
    for line in (ROOT / "README.md").read_text().splitlines():
        fence = line.strip().startswith("```")
        keep = inside and not fence
        if fence:
            inside = not inside and line.strip() == "```python"
        lines.append(line if keep else "")
    return "\n".join(lines) + "\n" if any(lines) else ""


def test_mypy_passes_on_the_package_and_the_readme(tmp_path, request):
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (pip install descend[test])")
    examples = tmp_path / "readme_examples.py"  # its line numbers are README.md's
    examples.write_text(_readme_examples())
    assert examples.read_text().strip(), "README.md has no ```python examples"
    cache = (request.config.cache.mkdir("mypy") if getattr(request.config, "cache", None)
             else tmp_path / "cache")
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
         "--cache-dir", str(cache), "--no-error-summary", "--hide-error-context",
         str(ROOT / "python" / "descend"), str(examples)],
        capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert out.returncode == 0, f"mypy found errors:\n{out.stdout}{out.stderr}"
