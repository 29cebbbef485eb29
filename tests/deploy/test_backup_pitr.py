#!/usr/bin/env python3
"""Backup and point-in-time restore for real (docs/backup.md), with the
settings and commands of scripts/backup:

1. a private PostgreSQL (scripts/pg-private, durable) archiving WAL with the
   lines `scripts/backup settings` prints; migrations applied by monitoragectl;
2. rows A written, base backup (`scripts/backup base`), rows B written one
   transaction each, target time noted, rows C written;
3. RPO measured: from the commit of the last C row until the segment holding
   it is in the archive, with nothing forcing the switch (archive_timeout);
4. `scripts/backup restore --time TARGET` into a new data directory, started:
   exactly the A and B rows are there, no C row; RTO measured from the start
   of the restore until the restored server accepts writes.

Prints "RPO: <s> s" and "RTO: <s> s"; fails when RPO >= 300 s or RTO >= 3600 s
(the seed's targets). Then `scripts/backup prune --keep 1` keeps the base
backup and exactly the WAL from its start on. Exit 77 when monitoragectl or PostgreSQL is missing.
Environment (from CTest): MONITORAGE_SOURCE_DIR, MONITORAGE_BINARY_DIR.
"""
import os
import shutil
import subprocess
import sys
import time

SOURCE_DIR = os.environ.get("MONITORAGE_SOURCE_DIR", "")
BINARY_DIR = os.environ.get("MONITORAGE_BINARY_DIR", "")
BACKUP = os.path.join(SOURCE_DIR, "scripts", "backup")
PG_PRIVATE = os.path.join(SOURCE_DIR, "scripts", "pg-private")
CTL = os.path.join(BINARY_DIR, "server", "ctl", "monitoragectl")
WORK = os.path.join(BINARY_DIR, "tests", "deploy", "pitr")
ROWS_A, ROWS_B, ROWS_C = 50, 40, 30
RPO_LIMIT_S, RTO_LIMIT_S = 300, 3600
# Rows per batch, as "A=50 B=40 C=30".
COUNTS = ("SELECT string_agg(error_message || '=' || n, ' ' ORDER BY error_message) FROM "
          "(SELECT error_message, count(*) n FROM health_history GROUP BY 1) s")


def pg_bindir():
    dirs = sorted((d for d in os.listdir("/usr/lib/postgresql") if d.isdigit()), key=int) \
        if os.path.isdir("/usr/lib/postgresql") else []
    return os.path.join("/usr/lib/postgresql", dirs[-1], "bin") if dirs else None


def as_postgres(argv):
    return ["runuser", "-u", "postgres", "--"] + argv if os.geteuid() == 0 else argv


def run(argv, **kw):
    out = subprocess.run(argv, capture_output=True, text=True, **kw)
    if out.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s%s" % (argv[:3], out.returncode, out.stdout, out.stderr))
    return out.stdout


class Cluster:
    def __init__(self, url):
        self.url = url

    def sql(self, query):
        psql = ["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", self.url, "-c", query]
        return run(psql).strip()


def write_rows(db, endpoint, batch, count):
    """One transaction per row; returns nothing (rows carry their batch name)."""
    for i in range(count):
        db.sql("INSERT INTO health_history (endpoint_id, status, latency_ms, error_message) "
               "VALUES ('%s', 'UP', %d, '%s')" % (endpoint, i, batch))


def main():
    bindir = pg_bindir()
    if not bindir or not os.path.exists(CTL):
        print("skipped: needs PostgreSQL server binaries and monitoragectl (%s)" % CTL)
        return 77
    pg_ctl = os.path.join(bindir, "pg_ctl")
    shutil.rmtree(WORK, ignore_errors=True)
    archive = os.path.join(WORK, "archive")
    settings = run([BACKUP, "settings", archive])
    if os.geteuid() == 0:
        # The archive_command runs as the server's user.
        for path in (WORK, archive, os.path.join(archive, "wal"), os.path.join(archive, "base")):
            shutil.chown(path, "postgres")
    opts = []
    for line in settings.splitlines():
        name, _, value = line.partition(" = ")
        opts.append('-c %s="%s"' % (name, value.strip("'").replace('"', '\\"')))
    env = dict(os.environ, PG_PRIVATE_DURABLE="1", PG_PRIVATE_OPTS=" ".join(opts))
    primary_dir = os.path.join(WORK, "primary")
    restored = os.path.join(WORK, "restored")
    url = run([PG_PRIVATE, "start", primary_dir], env=env).strip()
    started_restore = False
    try:
        db = Cluster(url)
        assert db.sql("SHOW archive_mode") == "on"
        run([CTL, "migrate"], env=dict(os.environ, DATABASE_URL=url))
        endpoint = db.sql("INSERT INTO endpoints (name, type, url) "
                          "VALUES ('pitr', 'DOMAIN', 'https://example.test') RETURNING id")
        write_rows(db, endpoint, "A", ROWS_A)
        base = run([BACKUP, "base", url, archive]).strip()
        print("base backup:", base)
        write_rows(db, endpoint, "B", ROWS_B)
        target = db.sql("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', "
                        "'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
        time.sleep(0.2)
        write_rows(db, endpoint, "C", ROWS_C)

        # RPO: the last commit is safe once its segment is archived; nothing
        # forces a switch here, archive_timeout does.
        committed = time.time()
        segment = db.sql("SELECT pg_walfile_name(pg_current_wal_lsn())")
        deadline = committed + RPO_LIMIT_S
        while not os.path.exists(os.path.join(archive, "wal", segment)):
            if db.sql("SELECT failed_count FROM pg_stat_archiver") != "0":
                with open(os.path.join(primary_dir, "server.log"), encoding="utf-8") as log:
                    raise AssertionError("archive_command failed:\n" + "".join(log.readlines()[-10:]))
            if time.time() > deadline:
                raise AssertionError("segment %s not archived within %d s" % (segment, RPO_LIMIT_S))
            time.sleep(0.2)
        rpo = time.time() - committed
        print("RPO: %.1f s (last commit until its WAL segment %s was archived; archive_timeout %s)"
              % (rpo, segment, db.sql("SHOW archive_timeout")))
        counts_primary = db.sql(COUNTS)
        print("primary rows:", counts_primary)

        # Recovery refuses lower max_connections (and similar) than the primary's.
        max_connections = db.sql("SHOW max_connections")
        began = time.time()
        run([BACKUP, "restore", restored, "--time", target, archive])
        port = run(["python3", "-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); "
                    "print(s.getsockname()[1])"]).strip()
        sock = os.path.join(WORK, "restored-sock")
        os.makedirs(sock)
        if os.geteuid() == 0:
            shutil.chown(sock, "postgres")
        started_restore = True
        options = "-p %s -k %s -c listen_addresses='' -c max_connections=%s" % (port, sock, max_connections)
        log = os.path.join(WORK, "restored.log")
        run(as_postgres([pg_ctl, "-D", restored, "-l", log, "-w", "-t", "600", "-o", options, "start"]))
        rdb = Cluster("postgresql://postgres@/monitorage?host=%s&port=%s" % (sock, port))
        while rdb.sql("SELECT pg_is_in_recovery()") != "f":
            time.sleep(0.1)
        rdb.sql("CREATE TEMP TABLE writable (x int)")
        rto = time.time() - began
        print("RTO: %.1f s (restore of base backup + WAL replay to %s, until writable)" % (rto, target))

        counts = rdb.sql(COUNTS)
        print("restored rows:", counts)
        expected = "A=%d B=%d" % (ROWS_A, ROWS_B)
        if counts != expected:
            raise AssertionError("restored rows %r, expected exactly %r" % (counts, expected))
        latest = rdb.sql("SELECT max(checked_at) <= '%s'::timestamptz FROM health_history" % target)
        if latest != "t":
            raise AssertionError("a restored row is later than the target time")
        migrations = "SELECT count(*) FROM schema_migrations"
        if rdb.sql(migrations) != db.sql(migrations):
            raise AssertionError("restored schema_migrations differ")
        if rpo >= RPO_LIMIT_S or rto >= RTO_LIMIT_S:
            raise AssertionError("RPO %.1f s / RTO %.1f s beyond the targets" % (rpo, rto))
        # Retention: the only base backup is kept with the WAL from its start on.
        wal = os.path.join(archive, "wal")
        before = sorted(f for f in os.listdir(wal) if len(f) == 24)
        run([BACKUP, "prune", "--keep", "1", archive])
        after = sorted(f for f in os.listdir(wal) if len(f) == 24)
        needed = run(["sh", "-c", "tar -xzOf %s/base/%s/base.tar.gz backup_label" % (archive, base)])
        first = needed.split("(file ")[1].split(")")[0]
        kept_base = os.path.isdir(os.path.join(archive, "base", base))
        if after != [f for f in before if f >= first] or not kept_base:
            raise AssertionError("prune kept %s of %s (first needed %s)" % (after, before, first))
        print(run([BACKUP, "list", archive]), end="")
        return 0
    finally:
        if started_restore:
            subprocess.run(as_postgres([pg_ctl, "-D", restored, "-m", "fast", "-w", "stop"]),
                           capture_output=True)
        subprocess.run([PG_PRIVATE, "stop", primary_dir], capture_output=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AssertionError as e:
        print("FAIL:", e)
        sys.exit(1)
