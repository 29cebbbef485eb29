"""A minimal PEP 517 / PEP 660 build backend using only the standard library.

It packs the pure-Python ``monitorage`` package into a ``py3-none-any`` wheel
(or an sdist), so ``pip install ./bindings/python`` needs nothing from a
package index. Metadata comes from the [project] table of pyproject.toml.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import tarfile
import zipfile
from typing import Dict, List, Optional, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "monitorage"


def _project() -> Dict[str, str]:
    with open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8") as file:
        text = file.read()
    table = re.search(r"^\[project\]\s*$(.*?)(?=^\[)", text, flags=re.S | re.M)
    assert table, "pyproject.toml has no [project] table"
    fields = dict(re.findall(r'^([\w-]+)\s*=\s*"([^"]*)"\s*$', table.group(1), flags=re.M))
    return fields


def _metadata() -> bytes:
    project = _project()
    lines = [
        "Metadata-Version: 2.1",
        "Name: %s" % project["name"],
        "Version: %s" % project["version"],
        "Summary: %s" % project.get("description", ""),
        "Requires-Python: %s" % project.get("requires-python", ">=3.8"),
        "Classifier: Typing :: Typed",
    ]
    readme = os.path.join(ROOT, project.get("readme", "README.md"))
    body = ""
    if os.path.exists(readme):
        lines.append("Description-Content-Type: text/markdown")
        with open(readme, encoding="utf-8") as file:
            body = "\n" + file.read()
    return ("\n".join(lines) + "\n" + body).encode("utf-8")


def _package_files() -> List[Tuple[str, str]]:
    """(archive name, path on disk) of every file of the package."""
    files = []
    directory = os.path.join(ROOT, PACKAGE)
    for name in sorted(os.listdir(directory)):
        if name.endswith(".py") or name == "py.typed":
            files.append(("%s/%s" % (PACKAGE, name), os.path.join(directory, name)))
    return files


def _dist_info() -> str:
    project = _project()
    return "%s-%s.dist-info" % (project["name"], project["version"])


def _wheel_name() -> str:
    project = _project()
    return "%s-%s-py3-none-any.whl" % (project["name"], project["version"])


def _write_wheel(wheel_directory: str, contents: List[Tuple[str, bytes]]) -> str:
    info = _dist_info()
    contents = contents + [
        ("%s/METADATA" % info, _metadata()),
        ("%s/WHEEL" % info, b"Wheel-Version: 1.0\nGenerator: monitorage-backend\nRoot-Is-Purelib: true\n"
                            b"Tag: py3-none-any\n"),
        ("%s/top_level.txt" % info, (PACKAGE + "\n").encode()),
    ]
    record = []
    path = os.path.join(wheel_directory, _wheel_name())
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as wheel:
        for name, data in contents:
            wheel.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append("%s,sha256=%s,%d" % (name, digest, len(data)))
        record.append("%s/RECORD,," % info)
        wheel.writestr("%s/RECORD" % info, "\n".join(record) + "\n")
    return os.path.basename(path)


def get_requires_for_build_wheel(config_settings: Optional[dict] = None) -> List[str]:
    return []


get_requires_for_build_sdist = get_requires_for_build_wheel
get_requires_for_build_editable = get_requires_for_build_wheel


def build_wheel(wheel_directory: str, config_settings: Optional[dict] = None,
                metadata_directory: Optional[str] = None) -> str:
    contents = []
    for name, path in _package_files():
        with open(path, "rb") as file:
            contents.append((name, file.read()))
    return _write_wheel(wheel_directory, contents)


def build_editable(wheel_directory: str, config_settings: Optional[dict] = None,
                   metadata_directory: Optional[str] = None) -> str:
    """An editable install: a .pth file putting the source tree on sys.path."""
    return _write_wheel(wheel_directory, [("%s.pth" % PACKAGE, (ROOT + "\n").encode())])


def build_sdist(sdist_directory: str, config_settings: Optional[dict] = None) -> str:
    project = _project()
    base = "%s-%s" % (project["name"], project["version"])
    path = os.path.join(sdist_directory, base + ".tar.gz")
    with tarfile.open(path, "w:gz") as sdist:
        for name in ["pyproject.toml", "README.md", "_build/backend.py"]:
            if os.path.exists(os.path.join(ROOT, name)):
                sdist.add(os.path.join(ROOT, name), arcname="%s/%s" % (base, name))
        for name, disk in _package_files():
            sdist.add(disk, arcname="%s/%s" % (base, name))
        info = tarfile.TarInfo("%s/PKG-INFO" % base)
        data = _metadata()
        info.size = len(data)
        sdist.addfile(info, io.BytesIO(data))
    return os.path.basename(path)
