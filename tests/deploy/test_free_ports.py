"""free_ports: a stack of its own, never on a demo's ports."""
from __future__ import annotations

import dataclasses

from deploy.local import stack
from deploy.local.layout import SERVICES, Ports


def test_it_picks_distinct_free_ports_for_every_part():
    ports = stack.free_ports()
    chosen = [v for k, v in ports.as_dict().items() if k != "alertmanager_cluster"]
    block = [ports.nginx + i for i in range(len(SERVICES))]
    everything = [p for p in chosen if p != ports.nginx] + block
    assert len(set(everything)) == len(everything)
    assert all(stack.port_free(p) for p in everything)
    assert ports.alertmanager_cluster == 0


def test_it_never_lands_on_a_default_port():
    defaults = set(dataclasses.asdict(Ports()).values())
    ports = stack.free_ports()
    assert not defaults & {v for k, v in ports.as_dict().items() if k != "alertmanager_cluster"}
