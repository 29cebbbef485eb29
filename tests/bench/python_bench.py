#!/usr/bin/env python3
"""Cost of the Python bindings over the raw C calls (run by `scripts/bench python`).

Each figure is measured twice in the same run: through the Pythonic classes and
through the same library functions called directly with ctypes, so the ratio
is what the wrapper (type checks, exceptions, copies into Python objects) costs.
Usage: python_bench.py DATABASE_URL   (MONITORAGE_LIBRARY names the library)
"""

import ctypes
import sys
import time

import monitorage as m
from monitorage import _ffi

lib = _ffi.lib


def rate(fn, seconds=1.5):
    count, start = 0, time.perf_counter()
    while True:
        for _ in range(100):
            fn()
        count += 100
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return count / elapsed


def figure(what, python_rate, raw_rate):
    print("%s: %.0f/s through the classes, %.0f/s raw ctypes" % (what, python_rate, raw_rate))
    print("%s raw ctypes vs classes: %.2f x" % (what, raw_rate / python_rate))


def endpoint_class():
    m.Endpoint(name="e", type="APIM", url="https://x.example.com/health").close()


def endpoint_raw():
    pointer = _ffi.EndpointP()
    lib.mon_endpoint_new(ctypes.byref(pointer))
    lib.mon_endpoint_set_name(pointer, b"e")
    lib.mon_endpoint_set_type(pointer, 0)
    lib.mon_endpoint_set_url(pointer, b"https://x.example.com/health")
    lib.mon_endpoint_free(pointer)


DOC = {"name": "e", "type": "APIM", "url": "https://x.example.com/health", "headers": {"Accept": "*/*"}}
DOC_TEXT = b'{"name":"e","type":"APIM","url":"https://x.example.com/health","headers":{"Accept":"*/*"}}'


def json_class():
    with m.Endpoint.from_dict(DOC) as ep:
        ep.to_dict()


def json_raw():
    pointer, out = _ffi.EndpointP(), ctypes.c_void_p()
    lib.mon_endpoint_from_json(ctypes.byref(pointer), DOC_TEXT)
    lib.mon_endpoint_to_json(ctypes.byref(out), pointer)
    ctypes.string_at(out.value)
    lib.mon_free(out)
    lib.mon_endpoint_free(pointer)


def main():
    url = sys.argv[1]
    print("libmonitorage %s from %s, Python %s" % (m.library_version(), m.library_path(), sys.version.split()[0]))
    figure("endpoint new + 3 setters + free", rate(endpoint_class), rate(endpoint_raw))
    figure("endpoint from JSON + to JSON", rate(json_class), rate(json_raw))
    with m.Store(url) as store:
        store.migrate()
        for i in range(100):
            store.create_endpoint(m.Endpoint(name="E%03d" % i, type="APIM", url="https://e%d.example.com" % i))

        def list_raw():
            out = _ffi.EndpointListP()
            lib.mon_store_endpoint_list(ctypes.byref(out), store._handle, None)
            lib.mon_endpoint_list_free(out)

        figure("list 100 endpoints", rate(lambda: store.list_endpoints(limit=100)), rate(list_raw))

        def status_raw():
            out = _ffi.StatusListP()
            lib.mon_store_status_list(ctypes.byref(out), store._handle)
            lib.mon_status_list_free(out)

        figure("status of 100 endpoints", rate(store.status), rate(status_raw))


if __name__ == "__main__":
    main()
