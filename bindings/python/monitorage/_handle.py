"""Base class of every object that owns a library handle."""

from __future__ import annotations

import weakref
from ctypes import c_void_p
from typing import Any, Optional, TypeVar

T = TypeVar("T", bound="Handle")


class Handle:
    """Owns one C object, freed exactly once: by close(), by ``with``, or on garbage collection.

    Subclasses set ``_free`` to the library's ``*_free`` function (a ctypes
    function object, kept on the class so that it is still reachable when the
    interpreter shuts down) and ``_what`` to a name for messages.

    An object that borrows another's C object (a connector registry borrows
    a store and a key) calls ``_depend_on(parent)``: it keeps the parent
    alive, and closing the parent closes it first, so the C side never sees
    a dangling pointer.
    """

    _free: Any = None
    _what = "object"
    _ptr: Optional[c_void_p] = None
    _dependents: "Optional[weakref.WeakSet[Handle]]" = None

    def _adopt(self, pointer: c_void_p) -> None:
        self._ptr = pointer

    def _depend_on(self, parent: "Handle") -> None:
        parent._handle  # refuse a closed parent
        if parent._dependents is None:
            parent._dependents = weakref.WeakSet()
        parent._dependents.add(self)
        self._parents = getattr(self, "_parents", ()) + (parent,)

    @property
    def _handle(self) -> c_void_p:
        if self._ptr is None:
            raise ValueError("%s is closed" % self._what)
        return self._ptr

    @property
    def closed(self) -> bool:
        """True once close() ran."""
        return self._ptr is None

    def close(self) -> None:
        """Free the C object now (and first every object borrowing it). Further calls are no-ops."""
        if self._dependents:
            for dependent in list(self._dependents):
                dependent.close()
        pointer, self._ptr = self._ptr, None
        if pointer is not None and pointer.value:
            type(self)._free(pointer)

    def __enter__(self: T) -> T:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()
