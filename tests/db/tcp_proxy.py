"""A TCP proxy for tests, on 127.0.0.1 only: forwards to the PostgreSQL test server and can go
silent (stop forwarding, keep every socket open, as a stalled network does), cut a connection
right after passing on a COMMIT (the commit happens; its reply never arrives), or refuse
connections (nothing listens on its port and every open connection is dropped, as when the
server is stopped) and accept them again on the same port.

Its threads are daemons that end when the proxy is closed; every wait in them is bounded.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port: int = self._listener.getsockname()[1]
        self._closed = threading.Event()
        self._forwarding = threading.Event()
        self._forwarding.set()
        self._cut_after_commit = threading.Event()
        self.commits_cut = 0
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._accepting: threading.Thread | None = self._start(self._accept)

    # --- what a test does -----------------------------------------------------------------------

    def go_silent(self) -> None:
        """Stop forwarding in both directions; connections stay open and unanswered."""
        self._forwarding.clear()

    def resume(self) -> None:
        self._forwarding.set()

    def refuse(self) -> None:
        """Stop listening (a connection attempt is refused) and drop every open connection."""
        with self._lock:
            listener = self._listener
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes a waiting accept(); no more are taken
        with contextlib.suppress(OSError):
            listener.close()
        if self._accepting is not None:
            self._accepting.join(timeout=2)
        with self._lock:
            sockets, self._sockets = list(self._sockets), []
        self._forwarding.set()  # the pumps read again, see the end and close their pair
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def accept_again(self) -> None:
        """Listen again on the same port (the server is back)."""
        listener = socket.create_server(("127.0.0.1", self.port))
        listener.settimeout(0.2)
        with self._lock:
            self._listener = listener
        self._accepting = self._start(self._accept)

    def cut_after_next_commit(self) -> None:
        """Pass the next COMMIT on to the server, then drop that connection before its reply."""
        self._cut_after_commit.set()

    def close(self) -> None:
        self._closed.set()
        self._forwarding.set()
        with self._lock:
            sockets = list(self._sockets)
        for sock in [self._listener, *sockets]:
            with contextlib.suppress(OSError):
                sock.close()
        for thread in self._threads:
            thread.join(timeout=2)

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- the plumbing -----------------------------------------------------------------------------

    def _start(self, target: object, *args: object) -> threading.Thread:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        self._threads.append(thread)
        thread.start()
        return thread

    def _accept(self) -> None:
        listener = self._listener
        while not self._closed.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                server = socket.create_connection(self._target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, server]
            self._start(self._pump, client, server)

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        pair = {client: server, server: client}
        try:
            while not self._closed.is_set():
                if not self._forwarding.is_set():
                    time.sleep(0.05)  # silent: read nothing, send nothing, close nothing
                    continue
                readable, _, _ = select.select(list(pair), [], [], 0.1)
                for sock in readable:
                    if not self._forwarding.is_set():
                        break
                    data = sock.recv(65536)
                    if not data:
                        return
                    pair[sock].sendall(data)
                    if sock is client and b"COMMIT\x00" in data and self._cut_after_commit.is_set():
                        self._cut_after_commit.clear()
                        time.sleep(0.3)  # the server commits; its answer is never passed back
                        self.commits_cut += 1
                        return
        except OSError:
            return
        finally:
            for sock in (client, server):
                with contextlib.suppress(OSError):
                    sock.close()
