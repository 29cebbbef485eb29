"""A TCP proxy on 127.0.0.1 that a test can cut, to make a database unreachable
without stopping the shared test cluster (Python standard library only).

  tcp_proxy.py TARGET_PORT

Prints "PORT <n>", then forwards every connection to 127.0.0.1:TARGET_PORT.
SIGUSR1 cuts: open connections are closed and new ones are closed as soon as
they are accepted (the client sees the server go away). SIGUSR2 restores
forwarding.
"""
import selectors
import signal
import socket
import sys

CUT = False
PAIRS = {}  # socket -> its peer


def close_pair(sel, sock):
    peer = PAIRS.pop(sock, None)
    for s in (sock, peer):
        if s is None:
            continue
        PAIRS.pop(s, None)
        try:
            sel.unregister(s)
        except (KeyError, ValueError):
            pass
        s.close()


def main():
    global CUT
    target = int(sys.argv[1])
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    listener.setblocking(False)
    print("PORT %d" % listener.getsockname()[1], flush=True)

    pending = []

    def on_cut(signum, frame):
        global CUT
        CUT = True
        pending.append("cut")

    def on_restore(signum, frame):
        global CUT
        CUT = False

    signal.signal(signal.SIGUSR1, on_cut)
    signal.signal(signal.SIGUSR2, on_restore)

    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ)
    while True:
        try:
            events = sel.select(timeout=0.1)
        except InterruptedError:
            events = []
        if pending:
            pending.clear()
            for sock in list(PAIRS):
                close_pair(sel, sock)
        for key, _ in events:
            sock = key.fileobj
            if sock is listener:
                try:
                    client, _ = listener.accept()
                except BlockingIOError:
                    continue
                if CUT:
                    client.close()
                    continue
                try:
                    upstream = socket.create_connection(("127.0.0.1", target))
                except OSError:
                    client.close()
                    continue
                for s in (client, upstream):
                    s.setblocking(False)
                    sel.register(s, selectors.EVENT_READ)
                PAIRS[client] = upstream
                PAIRS[upstream] = client
                continue
            if sock not in PAIRS:
                continue
            try:
                data = sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            if not data:
                close_pair(sel, sock)
                continue
            try:
                PAIRS[sock].setblocking(True)
                PAIRS[sock].sendall(data)
                PAIRS[sock].setblocking(False)
            except OSError:
                close_pair(sel, sock)


if __name__ == "__main__":
    main()
