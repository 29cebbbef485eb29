#!/usr/bin/env python3
"""Builds the Dockerfile's runtime stage into a directory and runs it (no
container engine runs here).

The tree gets what the stage's COPY --from=build lines take: /stage/... is the
build stage's `DESTDIR=/stage cmake --install`, done here with `cmake
--install` of this build into <tree>/stage; any other source is the path on
this Debian 12 machine (the build stage is the same distribution). Then:

- every ELF file of the tree resolves each library it needs (ldd, with
  LD_LIBRARY_PATH standing for the stage's ldconfig) either inside the tree or
  to a file of a package the runtime stage installs (dpkg -S), counting the
  packages those depend on and the base image's required packages;
- no -dev package or compiler is in the runtime stage;
- the server target's ENTRYPOINT, started from the tree as uid/gid 1001 (the
  stage's USER) with the stage's ENV against a fresh database of the private
  PostgreSQL, answers GET /health with 200, and the stage's HEALTHCHECK
  command (run as written, as uid 1001) succeeds;
- SIGTERM stops the server and the checker target's ENTRYPOINT with exit
  status 0 within the stop grace period (10 s, Docker's default).

In a sanitizer build (MONITORAGE_KORE_PRELOAD set, tests/CMakeLists.txt) the
tree holds the instrumented programs; the differences are only these: the
packages of GCC's sanitizer runtimes (those of the libraries preloaded into
kore: libasan8, libubsan1) join the allowed ones, with their dependencies; the
preloaded shim built here is copied into the tree (usr/local/lib/sanitizer/);
kore gets the preload and every program the sanitizer options (LeakSanitizer on
in all but kore); and any sanitizer report file fails the test
(tests/support/sanitizer_reports.py).

Exit 77 (skipped) without the private PostgreSQL or when the server module was
not built (MONITORAGE_BUILD_SERVER=OFF, or no kore/cjose).
Environment (from CTest): MONITORAGE_TEST_PG_DIR, MONITORAGE_SOURCE_DIR,
MONITORAGE_BINARY_DIR; in a sanitizer build MONITORAGE_KORE_PRELOAD,
ASAN_OPTIONS, UBSAN_OPTIONS, MONITORAGE_SANITIZER_REPORTS.
"""
import functools
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dockerfile  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import sanitizer_reports  # noqa: E402

SOURCE_DIR = os.environ.get("MONITORAGE_SOURCE_DIR", "")
BINARY_DIR = os.environ.get("MONITORAGE_BINARY_DIR", "")
PG_DIR = os.environ.get("MONITORAGE_TEST_PG_DIR", "")
STOP_GRACE_S = 10
RUN_UID = 1001
KORE_PRELOAD = os.environ.get("MONITORAGE_KORE_PRELOAD", "").split()
SANITIZER_RUNTIME_PACKAGE = re.compile(r"lib(asan|ubsan)[0-9]+$")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def package_closure(roots):
    """Installed packages reachable from roots through Depends/Pre-Depends."""
    seen, todo = set(), list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        out = subprocess.run(["dpkg-query", "-W", "-f", "${Depends}, ${Pre-Depends}", name],
                             capture_output=True, text=True)
        if out.returncode != 0:
            continue
        for alternatives in out.stdout.split(","):
            for alt in alternatives.split("|"):
                dep = alt.strip().split(" ")[0].split(":")[0]
                if dep:
                    todo.append(dep)
    return seen


def required_packages():
    """The packages every Debian image has (Priority: required, Essential)."""
    out = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Priority} ${Essential}\n"],
                         capture_output=True, text=True, check=True)
    return {line.split()[0] for line in out.stdout.splitlines()
            if " required" in line or line.endswith(" yes")}


@functools.lru_cache(maxsize=None)
def owner_package(path):
    """The package owning a library path (tries the merged-/usr aliases)."""
    real = os.path.realpath(path)
    candidates = {path, real}
    for p in list(candidates):
        if p.startswith("/usr/lib/"):
            candidates.add(p[len("/usr"):])
        elif p.startswith("/lib/"):
            candidates.add("/usr" + p)
    for p in sorted(candidates):
        out = subprocess.run(["dpkg", "-S", p], capture_output=True, text=True)
        if out.returncode == 0:
            return out.stdout.split(":")[0].split(",")[0].strip()
    return None


def is_elf(path):
    with open(path, "rb") as f:
        return f.read(4) == b"\x7fELF"


class RuntimeStage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stages = dockerfile.read(os.path.join(SOURCE_DIR, "Dockerfile"))
        cls.tree = os.path.join(BINARY_DIR, "tests", "deploy", "runtime-root")
        shutil.rmtree(cls.tree, ignore_errors=True)
        stage_dir = os.path.join(BINARY_DIR, "tests", "deploy", "build-stage")
        shutil.rmtree(stage_dir, ignore_errors=True)
        subprocess.run(["cmake", "--install", BINARY_DIR, "--prefix", stage_dir + "/usr/local"],
                       check=True, stdout=subprocess.DEVNULL)
        for sources, dest in dockerfile.copies_from(cls.stages, "server", "build"):
            for source in sources:
                local = stage_dir + source[len("/stage"):] if source.startswith("/stage/") else source
                matches = glob.glob(local.rstrip("/"))
                if not matches:
                    raise AssertionError("COPY source %s: nothing at %s" % (source, local))
                for match in matches:
                    target = cls.tree + dest
                    if os.path.isdir(match):
                        shutil.copytree(match, target, symlinks=True, dirs_exist_ok=True)
                    else:
                        os.makedirs(target if dest.endswith("/") else os.path.dirname(target), exist_ok=True)
                        shutil.copy2(match, target, follow_symlinks=False)
        shutil.rmtree(stage_dir)
        cls.libdir = os.path.join(cls.tree, "usr/local/lib")
        # Sanitizer build: what is preloaded into kore is either built here (the shim: copied into
        # the tree) or a sanitizer runtime, taken as the file its runtime package installs.
        cls.preload, cls.sanitizer_packages = [], set()
        for lib in KORE_PRELOAD:
            if lib.startswith(BINARY_DIR + "/"):
                os.makedirs(os.path.join(cls.libdir, "sanitizer"), exist_ok=True)
                cls.preload.append(shutil.copy2(lib, os.path.join(cls.libdir, "sanitizer")))
            else:
                cls.preload.append(os.path.realpath(lib))
                cls.sanitizer_packages.add(owner_package(cls.preload[-1]))
        for root, dirs, _ in os.walk(cls.tree):
            os.chmod(root, 0o755)

    def tree_path(self, path):
        return self.tree + path

    def run_env(self, stage):
        env = dockerfile.env(self.stages, stage)
        env.update(PATH=self.tree_path("/usr/local/bin") + ":/usr/sbin:/usr/bin:/sbin:/bin",
                   LD_LIBRARY_PATH=self.libdir, TMPDIR="/tmp")
        if self.preload:
            env.update(MONITORAGE_KORE_PRELOAD=" ".join(self.preload),
                       ASAN_OPTIONS=os.environ["ASAN_OPTIONS"], UBSAN_OPTIONS=os.environ["UBSAN_OPTIONS"])
        return env

    def demote(self):
        """setpriv prefix running as the stage's USER (when this test is root)."""
        user = dockerfile.instructions(self.stages, "runtime", "USER")[-1]
        uid, gid = (int(x) for x in user.split(":"))
        self.assertEqual(uid, RUN_UID)
        if os.geteuid() != 0:
            return []
        return ["setpriv", "--reuid", str(uid), "--regid", str(gid), "--clear-groups"]

    def fresh_database(self, name):
        with open(os.path.join(PG_DIR, "port"), encoding="utf-8") as f:
            port = f.read().strip()
        psql = ["psql", "-q", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "-d", "postgres", "-c"]
        subprocess.run(psql + ["DROP DATABASE IF EXISTS " + name], check=True, capture_output=True)
        subprocess.run(psql + ["CREATE DATABASE " + name], check=True, capture_output=True)
        return "postgresql://postgres@127.0.0.1:%s/%s?gssencmode=disable" % (port, name)

    def test_base_images_are_debian_12(self):
        self.assertEqual(dockerfile.base_of(self.stages, "build"), "debian:12-slim")
        self.assertEqual(dockerfile.chain(self.stages, "server")[0], "runtime")
        self.assertEqual(dockerfile.base_of(self.stages, "runtime"), "debian:12-slim")
        self.assertEqual(list(self.stages)[-1], "server", "the default target must be the server")

    def test_runtime_stage_has_no_build_packages(self):
        packages = dockerfile.apt_packages(self.stages, "runtime")
        self.assertTrue(packages)
        for package in packages:
            self.assertFalse(package.endswith("-dev"), package)
            self.assertNotIn(package, ("build-essential", "gcc", "cmake", "make", "pkg-config", "kore"))
            status = subprocess.run(["dpkg-query", "-W", "-f", "${Status}", package], capture_output=True,
                                    text=True)
            self.assertIn("install ok installed", status.stdout, "%s is not installed here" % package)

    def test_every_library_resolves_to_a_runtime_package(self):
        # A sanitizer build's programs also need GCC's sanitizer runtimes, and nothing more.
        self.assertEqual(bool(self.sanitizer_packages), bool(KORE_PRELOAD))
        for package in self.sanitizer_packages:
            self.assertRegex(package or "", SANITIZER_RUNTIME_PACKAGE)
        allowed = package_closure(set(dockerfile.apt_packages(self.stages, "runtime")) | required_packages()
                                  | self.sanitizer_packages)
        env = dict(os.environ, LD_LIBRARY_PATH=self.libdir)
        elves = [p for p in glob.glob(self.tree + "/usr/local/**/*", recursive=True)
                 if os.path.isfile(p) and not os.path.islink(p) and is_elf(p)]
        names = sorted(os.path.basename(p) for p in elves)
        for wanted in ("kore", "monitorage-checkd", "monitoragectl", "monitorage_rest.so"):
            self.assertIn(wanted, names)
        self.assertTrue(any(n.startswith("libmonitorage.so.") for n in names), names)
        for path in elves:
            out = subprocess.run(["ldd", path], capture_output=True, text=True, env=env)
            self.assertEqual(out.returncode, 0, out.stderr)
            for line in out.stdout.splitlines():
                line = line.strip()
                self.assertNotIn("not found", line, "%s: %s" % (path, line))
                if "=>" not in line:
                    continue
                lib = line.split("=>")[1].split("(")[0].strip()
                if not lib or lib.startswith(self.tree):
                    continue
                package = owner_package(lib)
                self.assertIsNotNone(package, "%s needs %s, owned by no package" % (path, lib))
                self.assertIn(package, allowed,
                              "%s needs %s from %s, not in the runtime stage" % (path, lib, package))

    def start(self, stage, database_url, extra_env, unset=()):
        entrypoint = dockerfile.exec_form(self.stages, stage, "ENTRYPOINT")
        self.assertTrue(entrypoint[0].startswith("/usr/local/bin/"))
        env = self.run_env(stage)
        env.update(DATABASE_URL=database_url, **extra_env)
        for name in unset:
            env.pop(name, None)
        return subprocess.Popen(self.demote() + [self.tree_path(entrypoint[0])] + entrypoint[1:], env=env,
                                cwd="/tmp", stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def stop(self, proc):
        """SIGTERM; returns (exit status, seconds) and the output."""
        began = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            out, _ = proc.communicate(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
            self.fail("no exit within %d s of SIGTERM:\n%s" % (STOP_GRACE_S, out))
        return proc.returncode, time.monotonic() - began, out

    def start_server(self, unset=()):
        """The server target from the tree with a production-like sign-in
        configuration (OIDC settings; the JWKS URL is a closed loopback port)."""
        port = free_port()
        url = self.fresh_database("deploy_runtime")
        proc = self.start("server", url, {
            "PORT": str(port), "MONITORAGE_BIND": "127.0.0.1", "MONITORAGE_WORKERS": "1",
            "OIDC_ISSUER": "https://login.example.test/tenant/v2.0",
            "OIDC_AUDIENCE": "api://monitorage-deploy",
            "OIDC_JWKS_URL": "http://127.0.0.1:%d/keys" % free_port()}, unset)
        status, deadline = None, time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None and status is None:
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/health" % port, timeout=2) as r:
                    status = r.status
            except OSError:
                time.sleep(0.2)
        return proc, port, status

    def test_server_runs_from_the_tree_as_uid_1001(self):
        proc, port, status = self.start_server()
        try:
            self.assertEqual(status, 200, "server did not answer /health")
            if os.geteuid() == 0:
                uid = subprocess.run(["ps", "-o", "uid=", "-p", str(proc.pid)], capture_output=True,
                                     text=True)
                self.assertEqual(uid.stdout.strip(), str(RUN_UID))
            options, command = dockerfile.healthcheck(self.stages, "server")
            self.assertIn("interval", options)
            check_env = self.run_env("server")
            check_env["PORT"] = str(port)
            check = subprocess.run(self.demote() + ["sh", "-c", command], env=check_env, capture_output=True,
                                   text=True, timeout=int(options.get("timeout", "10s").rstrip("s")))
            self.assertEqual(check.returncode, 0, "HEALTHCHECK failed: %s%s" % (check.stdout, check.stderr))
        finally:
            code, seconds, out = self.stop(proc)
        print("server stop after SIGTERM: %.2f s, exit %d" % (seconds, code))
        self.assertEqual(code, 0, out)

    # With HOME unset (and no passwd entry) the worker's first JWKS fetch as
    # uid 1001 was killed by the sandbox (readlinkat) in a loop, until the
    # module's seccomp list allowed it; the stage also sets HOME.
    def test_worker_survives_the_jwks_fetch_as_uid_1001_without_home(self):
        proc, port, status = self.start_server(unset=("HOME",))
        try:
            self.assertEqual(status, 200, "server did not answer /health")
            time.sleep(3)
        finally:
            code, seconds, out = self.stop(proc)
        self.assertNotIn("sandbox violation", out)
        self.assertIn("JWKS fetch", out)

    def test_checker_runs_from_the_tree_and_stops_on_sigterm(self):
        url = self.fresh_database("deploy_checker")
        proc = self.start("checker", url, {"MONITORAGE_MIGRATE": "1", "MONITORAGE_REPLICA_ID": "deploy-test"})
        try:
            deadline = time.monotonic() + 30
            started = False
            lines = []
            while time.monotonic() < deadline:
                line = proc.stdout.readline()
                if not line:
                    break
                lines.append(line)
                if "replica deploy-test started" in line:
                    started = True
                    break
            self.assertTrue(started, "".join(lines))
        finally:
            code, seconds, out = self.stop(proc)
        print("checker stop after SIGTERM: %.2f s, exit %d" % (seconds, code))
        self.assertEqual(code, 0, out)
        self.assertIn("stopped", out)


if __name__ == "__main__":
    if not PG_DIR or not os.path.exists(os.path.join(PG_DIR, "port")):
        print("private PostgreSQL not running (MONITORAGE_TEST_PG_DIR)")
        sys.exit(77)
    if not os.path.exists(os.path.join(BINARY_DIR, "server", "monitorage_rest.so")):
        print("the server module was not built (kore and cjose needed): the image cannot be reproduced")
        sys.exit(77)
    sanitizer_reports.clear()
    if sanitizer_reports.DIRECTORY:  # the tree's programs run as uid 1001 and write there too
        os.chmod(sanitizer_reports.DIRECTORY, 0o1777)
    sys.exit(sanitizer_reports.exit_status(unittest.main(verbosity=2, exit=False).result.wasSuccessful()))
