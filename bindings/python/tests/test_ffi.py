"""Every public function of the C headers has a binding, and the library is found as documented."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
import shutil
import subprocess
import sys
from typing import Dict, List

import pytest

import monitorage
from monitorage import _ffi

HERE = os.path.dirname(os.path.abspath(__file__))
INCLUDE = os.path.join(os.environ.get("MONITORAGE_SOURCE_DIR", os.path.join(HERE, "..", "..", "..")),
                       "include", "monitorage")

# Public functions deliberately left without a binding, with the reason. None so far.
UNWRAPPED: Dict[str, str] = {}


def _split_params(params: str) -> List[str]:
    depth, current, out = 0, "", []
    for char in params:
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        if char == "," and depth == 0:
            out.append(current)
            current = ""
        else:
            current += char
    out.append(current)
    return [p.strip() for p in out if p.strip()]


def public_functions() -> Dict[str, List[str]]:
    """name -> parameter declarations, for every MON_EXTERN function of the public headers."""
    found: Dict[str, List[str]] = {}
    for header in sorted(os.listdir(INCLUDE)):
        if not header.endswith(".h"):
            continue
        with open(os.path.join(INCLUDE, header)) as file:
            source = file.read()
        source = re.sub(r"/\*.*?\*/", " ", source, flags=re.S)
        source = re.sub(r"^\s*#.*$", " ", source, flags=re.M)
        for match in re.finditer(r"MON_EXTERN\b([^;]*?)\b(mon_\w+)\s*\(([^;]*)\)\s*;", source, flags=re.S):
            params = _split_params(match.group(3))
            found[match.group(2)] = [] if params == ["void"] else params
    return found


def test_the_header_parser_finds_the_whole_api() -> None:
    functions = public_functions()
    assert functions["mon_version"] == []
    assert len(functions["mon_connector_run"]) == 6
    assert functions["mon_secret_key_id_of"] == ["char out[MON_SECRET_KEY_ID_LEN + 1]", "const char *text"]
    assert len(functions) > 100


def test_every_public_function_is_declared_with_argtypes_and_restype() -> None:
    functions = public_functions()
    missing = sorted(set(functions) - set(_ffi.FUNCTIONS) - set(UNWRAPPED))
    assert not missing, "public functions without a binding in _ffi._declare(): %s" % missing
    stale = sorted(set(_ffi.FUNCTIONS) - set(functions))
    assert not stale, "bindings of functions no header declares: %s" % stale
    for name, params in functions.items():
        if name in UNWRAPPED:
            continue
        func = getattr(_ffi.lib, name)
        assert func.argtypes is not None, name
        assert len(func.argtypes) == len(params), "%s: header has %d parameters, binding %d" % (
            name, len(params), len(func.argtypes))
        assert func.restype is _ffi.FUNCTIONS[name][0], name


def test_owned_strings_arrive_as_void_pointers_to_free_with_mon_free() -> None:
    # ctypes copies a c_char_p and forgets the pointer, so a string the caller
    # owns (char **out) must be read as c_void_p, copied, and given to mon_free.
    checked = 0
    for name, params in public_functions().items():
        for index, param in enumerate(params):
            if re.match(r"char\s*\*\*", param):
                assert _ffi.FUNCTIONS[name][1][index] is _ffi.POINTER(ctypes.c_void_p), name
                checked += 1
    assert checked > 10


def test_versions_agree() -> None:
    assert monitorage.library_version() == "0.1.0"
    assert monitorage.library_version_number() == 100
    assert os.path.realpath(monitorage.library_path()) == os.path.realpath(
        os.environ.get("MONITORAGE_LIBRARY", monitorage.library_path()))


def test_the_public_names_exist_and_star_import_keeps_the_builtins() -> None:
    assert all(hasattr(monitorage, name) for name in monitorage.__all__)
    assert "TimeoutError" not in monitorage.__all__ and "ConnectionError" not in monitorage.__all__
    assert issubclass(monitorage.TimeoutError, TimeoutError)


def _import_in_child(env_changes: Dict[str, str]) -> subprocess.CompletedProcess:
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(monitorage.__file__)))
    env = dict(os.environ, **env_changes)
    env["PYTHONPATH"] = os.pathsep.join([package_parent] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    return subprocess.run([sys.executable, "-c", "import monitorage"], env=env, capture_output=True, text=True,
                          cwd=HERE)


def test_missing_library_error_names_everything_tried() -> None:
    result = _import_in_child({"MONITORAGE_LIBRARY": "/nonexistent/libmonitorage.so.0",
                               "LD_LIBRARY_PATH": "/nonexistent"})
    if result.returncode == 0:
        # A libmonitorage is installed system-wide: the fallback worked, which is also right.
        return
    assert "LibraryNotFoundError" in result.stderr
    assert "MONITORAGE_LIBRARY: /nonexistent/libmonitorage.so.0 (no such file)" in result.stderr
    assert "next to the package" in result.stderr
    assert "system loader: libmonitorage.so.0" in result.stderr


def test_a_file_that_is_not_libmonitorage_is_refused() -> None:
    result = _import_in_child({"MONITORAGE_LIBRARY": ctypes.util.find_library("c") or "libc.so.6"})
    if result.returncode != 0:
        assert "not libmonitorage" in result.stderr



def test_interpreter_exit_with_live_objects_is_clean(db_url: str) -> None:
    script = """
import monitorage as m
store = m.Store(%r)
key = m.SecretKey(m.SecretKey.new_hex())
registry = m.Connectors(store, key)
class Live(m.ConnectorType):
    name = "LIVE"
    def test(self, call):
        return {}
registry.register(Live())
registry.set_audit_hook(lambda event: None)
checker = m.Checker()
checker.submit(m.Endpoint(name="x", type="APIM", url="http://127.0.0.1:9/"))
scheduler = m.Scheduler(%r)
endpoint = m.Endpoint(name="y", type="APIM", url="https://example.com")
print("done")
""" % (db_url, db_url)
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(monitorage.__file__)))
    env = dict(os.environ, PYTHONPATH=package_parent)
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout == "done\n", result.stderr
    assert "Exception ignored" not in result.stderr


def test_every_struct_has_the_size_the_c_headers_give(tmp_path) -> None:
    """A struct that grew in C but not here makes the library write past a
    ctypes buffer (seen with mon_scheduler_stats): compare every layout."""
    source, binary = os.environ.get("MONITORAGE_SOURCE_DIR"), os.environ.get("MONITORAGE_BINARY_DIR")
    compiler = shutil.which("cc")
    if not source or not binary or not compiler:
        pytest.skip("needs the source and build trees (run through ctest) and a C compiler")
    include = os.path.join(source, "include", "monitorage")
    names = sorted({match for header in os.listdir(include) if header.endswith(".h")
                    for match in re.findall(r"^} (mon_\w+);", open(os.path.join(include, header)).read(), re.M)})
    by_c_name = {}
    for attribute in dir(_ffi):
        value = getattr(_ffi, attribute)
        if isinstance(value, type) and issubclass(value, ctypes.Structure) and value is not ctypes.Structure:
            c_name = "mon_" + re.sub(r"(?<!^)(?=[A-Z])", "_", attribute).lower()
            by_c_name[c_name] = value
    structs = [name for name in names if name in by_c_name]
    assert len(structs) >= 15, structs
    program = tmp_path / "sizes.c"
    program.write_text("#include <monitorage/monitorage.h>\n#include <stdio.h>\nint main(void) {\n"
                       + "".join('printf("%%s %%zu\\n", "%s", sizeof(%s));\n' % (n, n) for n in structs)
                       + "return 0;\n}\n")
    subprocess.run([compiler, "-I", os.path.join(source, "include"), "-I", os.path.join(binary, "include"),
                    "-o", str(tmp_path / "sizes"), str(program)], check=True)
    output = subprocess.run([str(tmp_path / "sizes")], check=True, capture_output=True, text=True).stdout
    sizes = dict(line.split() for line in output.splitlines())
    wrong = {name: (ctypes.sizeof(by_c_name[name]), int(sizes[name])) for name in structs
             if ctypes.sizeof(by_c_name[name]) != int(sizes[name])}
    assert wrong == {}, "ctypes size != C size: %r" % wrong
