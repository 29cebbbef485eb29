#!/usr/bin/env python3
"""The disk of PostgreSQL full (docs/reliability.md#faults): a cluster of the
suite's own on a small tmpfs is filled up while the REST server takes writes and
monitorage-checkd writes results. The server answers 503 with the error model
(never 500, never a crash), the checker keeps its results in its buffer, and
once space is freed everything recovers and no accepted write or result is lost.
Mounting needs root: skipped (77) otherwise."""
import errno
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

import harness
import test_faults as faults
from harness import psql

SIZE_MB = 96  # the cluster takes about 50 MB; a new WAL segment needs 16 MB more


class DiskFull(faults.PrivateClusterCase):
    DB_PREFIX = "faults_disk"

    @classmethod
    def make_storage(cls):
        path = tempfile.mkdtemp(prefix="monitorage-disk-")
        try:
            subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dm,mode=0755" % SIZE_MB, "tmpfs", path],
                           check=True)
        except BaseException:
            os.rmdir(path)
            raise
        return path

    @classmethod
    def release_storage(cls):
        subprocess.run(["umount", "-l", cls.storage])
        os.rmdir(cls.storage)

    def fill(self):
        """Fill the file system; the size of the filler, bytes."""
        size = 0
        with open(os.path.join(self.storage, "filler"), "wb") as f:
            chunk = b"\0" * (1 << 20)
            try:
                while True:
                    size += f.write(chunk)
                    f.flush()
            except OSError as e:
                self.assertEqual(e.errno, errno.ENOSPC)
        return size

    def test_full_disk_gives_503_buffers_results_and_recovers(self):
        token = self.token(oid="disk-admin")
        faults.add_endpoints(self.db, 300, "disk-check", self.targets.url("/ok"), 10, 2000)
        checkd = faults.Checkd(self.db, "disk-check")
        results = []  # (time, status, id, error code)
        stop = threading.Event()

        def writer():
            i = 0
            while not stop.is_set():
                i += 1
                code, _, data = self.call("POST", "/api/v1/endpoints",
                                          self.endpoint_body(name="disk-write-%d" % i, enabled=False), token)
                ok = code == 201
                results.append((time.time(), code, data["id"] if ok else None,
                                None if ok else (data or {}).get("error", {}).get("code")))
                time.sleep(0.01)

        thread = threading.Thread(target=writer)
        try:
            time.sleep(3)
            thread.start()
            time.sleep(1)
            filled_at = time.time()
            filler = self.fill()
            # Writes and checks (30 results a second, written every second) go on against the full disk.
            time.sleep(5)
            health = self.call("GET", "/health")[0]
            crashed = not self.cluster.running()
            os.unlink(os.path.join(self.storage, "filler"))
            freed_at = time.time()
            if crashed:
                self.cluster.start()  # what an operator (or a managed service) does
            deadline = time.time() + 30
            while time.time() < deadline and not any(t > freed_at and c == 201 for t, c, _, _ in results):
                time.sleep(0.05)
            time.sleep(2)
        finally:
            stop.set()
            if thread.is_alive():
                thread.join(30)
            code, stats, text = checkd.stop()
        self.assertEqual(health, 200)
        refused = [r for r in results if r[1] != 201]
        accepted = [r for r in results if r[1] == 201]
        recovered = [t for t, c, _, _ in results if t > freed_at and c == 201]
        self.assertTrue(refused, "writes refused while the disk is full")
        self.assertTrue(recovered, "writes accepted again once space is freed")
        server_log = "\n".join(l for l in self.server.output().splitlines() if "MON_E" in l)
        self.assertEqual({c for _, c, _, _ in refused}, {503}, "%s\n%s" % (refused[:5], server_log))
        self.assertLessEqual({e for _, _, _, e in refused}, {"storage_full", "database_unavailable"})
        ids = set(psql(self.db, "SELECT id FROM endpoints WHERE name LIKE 'disk-write-%'").split())
        lost = [r for r in accepted if r[2] not in ids]
        self.assertEqual(lost, [])
        self.assertEqual(code, 0, text)
        self.assertEqual((stats["unwritten"], stats["dropped"]), (0, 0), text)
        rows = faults.count(self.db, "SELECT count(*) FROM health_history")
        self.assertEqual(rows, stats["written"])
        self.assertEqual(stats["written"], stats["checks"], text)
        faults.figure("disk full: filler MB", filler >> 20)
        faults.figure("disk full: PostgreSQL stopped by itself",
                      "yes (restarted after freeing)" if crashed else "no")
        faults.figure("disk full: writes accepted / refused (503) / lost", "%d / %d / %d"
                      % (len(accepted), len(refused), len(lost)))
        faults.figure("disk full: refusal codes", sorted({e for _, _, _, e in refused}))
        faults.figure("disk full: first accepted write after freeing s", "%.2f" % (min(recovered) - freed_at))
        failures = re.search(r"(\d+) database failure\(s\), the last: (.*)", text)
        self.assertTrue(failures, "the checker met the full disk: " + text)
        faults.figure("disk full: checker results produced / written / lost", "%d / %d / %d"
                      % (stats["checks"], rows, stats["checks"] - rows))
        faults.figure("disk full: checker write failures (retried)", "%s, the last: %s" % failures.groups())


if __name__ == "__main__":
    if os.getuid() != 0:
        print("mounting a tmpfs needs root: skipped")
        sys.exit(77)
    harness.main()
