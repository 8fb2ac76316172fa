"""Several workers registering the first versions of one model at once (bench_platform found
409s): every registration succeeds, numbered 1..N without gap or duplicate."""

from __future__ import annotations

import threading

from modelward.client import Client
from modelward.config import Settings
from tests.builders import logged_model_run


def test_concurrent_first_registrations_all_succeed_numbered_one_to_n(settings: Settings) -> None:
    setup = Client(settings)
    runs = [logged_model_run(setup) for _ in range(4)]
    setup.close()
    clients = [Client(settings) for _ in runs]  # one connection pool each, as server workers
    start = threading.Barrier(len(runs))
    numbers: list[int] = []
    errors: list[Exception] = []

    def register(client: Client, run_id: str) -> None:
        start.wait()
        try:
            numbers.append(client.registry.register(run_id, name="raced").version)
        except Exception as exc:  # collected: the assertion below names it
            errors.append(exc)

    threads = [
        threading.Thread(target=register, args=pair) for pair in zip(clients, runs, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for client in clients:
        client.close()
    assert errors == [] and sorted(numbers) == [1, 2, 3, 4]
