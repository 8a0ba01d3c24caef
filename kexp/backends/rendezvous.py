"""Wait for every process of a multi-process run before JAX's distributed service starts.

``jax.distributed.initialize`` aborts the whole process (SIGABRT and a C++
stack trace) when the coordinator cannot be reached or a process never comes.
This meeting on the coordinator's own address comes first and turns both into
one line: process 0 listens, every other process connects and says who it is,
and only when all ``num_processes`` are there does process 0 say go. The port
is released before JAX's coordinator binds it (the other processes close
first, so the listening side keeps no connection in TIME_WAIT).
"""

from __future__ import annotations

import socket
import time

from kexp.config.errors import ConfigError

KEY = "trainer.distributed.coordinator"
GO = b"go"


def split_address(coordinator: str) -> tuple[str, int]:
    """``host:port`` → ``(host, port)``; a one-line ConfigError otherwise."""
    host, _, port = str(coordinator).rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"{KEY}={coordinator} — must be host:port, e.g. 10.0.0.1:1234 (the address of process 0)")
    return host.strip("[]"), int(port)


def rendezvous(coordinator: str, num_processes: int, process_id: int, timeout: float) -> None:
    """Return once all processes met at ``coordinator``; ConfigError after ``timeout`` seconds."""
    host, port = split_address(coordinator)
    deadline = time.monotonic() + timeout
    if process_id == 0:
        _host_meeting(port, num_processes, deadline, coordinator, timeout)
    else:
        _join_meeting(host, port, process_id, deadline, coordinator, timeout)


def _host_meeting(port: int, num_processes: int, deadline: float, coordinator: str, timeout: float) -> None:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        server.bind(("", port))
    except OSError as err:
        server.close()
        raise ConfigError(
            f"{KEY}={coordinator} — process 0 cannot listen on port {port} ({err.strerror}); choose a free port"
        ) from None
    server.listen(num_processes)
    peers: dict[int, socket.socket] = {}
    try:
        while len(peers) < num_processes - 1:
            server.settimeout(max(deadline - time.monotonic(), 0.01))
            try:
                peer, _ = server.accept()
            except TimeoutError:
                missing = sorted(set(range(1, num_processes)) - set(peers))
                raise ConfigError(
                    f"{KEY}={coordinator} — {len(peers) + 1} of {num_processes} processes "
                    f"arrived within {timeout:g} s (missing process_id "
                    f"{', '.join(map(str, missing))}); start them with the same coordinator, "
                    "or raise trainer.distributed.timeout"
                ) from None
            peer.settimeout(max(deadline - time.monotonic(), 0.01))
            try:
                number = int(peer.recv(16).decode() or -1)
            except (OSError, ValueError):
                peer.close()
                continue
            if number in peers or not 0 < number < num_processes:
                peer.close()  # a duplicate or stray process: it times out with its own message
                continue
            peers[number] = peer
        for peer in peers.values():
            peer.sendall(GO)
        for peer in peers.values():  # they close first
            peer.settimeout(max(deadline - time.monotonic(), 1.0))
            try:
                peer.recv(16)
            except OSError:
                pass
    finally:
        for peer in peers.values():
            peer.close()
        server.close()


def _join_meeting(host: str, port: int, process_id: int, deadline: float, coordinator: str, timeout: float) -> None:
    while True:
        try:
            connection = socket.create_connection((host, port), timeout=max(deadline - time.monotonic(), 0.01))
            break
        except OSError as err:
            if time.monotonic() >= deadline:
                raise ConfigError(
                    f"{KEY}={coordinator} — not reachable from process {process_id} within "
                    f"{timeout:g} s ({err.strerror or err}); start process 0 first, or check "
                    "the address"
                ) from None
            time.sleep(0.2)
    with connection:
        connection.settimeout(max(deadline - time.monotonic(), 0.01))
        try:
            connection.sendall(str(process_id).encode())
            if connection.recv(16) != GO:
                raise OSError("no go")
        except OSError:
            raise ConfigError(
                f"{KEY}={coordinator} — process {process_id} was not admitted within "
                f"{timeout:g} s (another process with the same process_id, or not all "
                "processes arrived)"
            ) from None
