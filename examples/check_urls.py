#!/usr/bin/env python3
"""check_urls.py: the same as check_urls.c, from Python through bindings/python.

    MONITORAGE_LIBRARY=build/lib/libmonitorage.so PYTHONPATH=bindings/python \\
        python3 examples/check_urls.py URL...

Every URL becomes an Endpoint; one Checker checks them all at once and returns
CheckResult dataclasses in the order given. Exit status 0 when every URL is UP,
1 otherwise, 2 on a usage error.
"""
import sys

from monitorage import Checker, Endpoint, InvalidInputError, Status


def main(urls):
    if not urls:
        print("usage: check_urls.py URL...", file=sys.stderr)
        return 2
    try:
        endpoints = [Endpoint(name="example", type="DOMAIN", url=url, timeout_ms=5000) for url in urls]
    # The exception carries the library's detail, e.g. "url: scheme must be http or https".
    except InvalidInputError as error:
        print("check_urls.py: %s" % error, file=sys.stderr)
        return 2
    # The context manager frees the checker deterministically.
    with Checker() as checker:
        results = checker.check_all(endpoints, timeout=60)
    print("%-40s %-9s %4s %9s  %s" % ("URL", "STATUS", "CODE", "LATENCY", "ERROR"))
    for result in results:
        print("%-40s %-9s %4s %6s ms  %s" % (result.url, result.status.name, result.status_code or "-",
                                             result.latency_ms if result.latency_ms is not None else "-",
                                             result.error_message or ""))
    return 0 if all(result.status == Status.UP for result in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
