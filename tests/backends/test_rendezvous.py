"""The meeting before JAX's distributed service: everyone arrives, or one line after the time-out."""

import socket
import threading
import time

import pytest

from kexp.backends.rendezvous import rendezvous, split_address
from kexp.config.errors import ConfigError


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def meet(address, count, timeout=10.0):
    """Run processes 0..count-1 of a meeting as threads; each one's error (None when it met)."""
    errors = [None] * count

    def one(process_id):
        try:
            rendezvous(address, count, process_id, timeout)
        except ConfigError as err:
            errors[process_id] = err.one_line()

    threads = [threading.Thread(target=one, args=(i,)) for i in reversed(range(count))]  # 0 last
    for thread in threads:
        thread.start()
        time.sleep(0.05)
    for thread in threads:
        thread.join()
    return errors


def test_three_processes_meet_and_the_port_is_free_again_for_jax():
    port = free_port()
    assert meet(f"127.0.0.1:{port}", 3) == [None, None, None]
    with socket.socket() as jax_coordinator:  # the port can be bound again at once
        jax_coordinator.bind(("", port))


def test_a_process_that_never_comes_and_a_coordinator_that_is_not_there_are_one_line_each():
    port = free_port()
    started = time.monotonic()
    with pytest.raises(ConfigError) as host_alone:
        rendezvous(f"127.0.0.1:{port}", 3, 0, timeout=1.0)
    assert host_alone.value.one_line() == (
        f"kexp: config error: trainer.distributed.coordinator=127.0.0.1:{port} — 1 of 3 processes arrived "
        "within 1 s (missing process_id 1, 2); start them with the same coordinator, or raise "
        "trainer.distributed.timeout")
    with pytest.raises(ConfigError, match=rf"^trainer.distributed.coordinator=127.0.0.1:{port} — not reachable "
                                          r"from process 1 within 1 s \(Connection refused\); start process 0"):
        rendezvous(f"127.0.0.1:{port}", 2, 1, timeout=1.0)
    assert time.monotonic() - started < 5  # time-outs, not hangs
    with pytest.raises(ConfigError, match=r"coordinator=node1 — must be host:port"):
        split_address("node1")
