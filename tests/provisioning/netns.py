"""A network namespace joined to this host by a veth pair, for a station under test.

The host side gets ``10.231.N.1/30`` and the namespace ``10.231.N.2/30``: a link that
exists only on this machine, made and removed by the test, so the station reaches
the marketplace on the host and nothing else.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence


class NetNs:
    def __init__(self, name: str, subnet: int) -> None:
        self.name = name
        self.host_if = f"{name[:10]}-h"
        self.ns_if = f"{name[:10]}-n"
        self.host_ip = f"10.231.{subnet}.1"
        self.ns_ip = f"10.231.{subnet}.2"

    def create(self) -> NetNs:
        commands = [
            ["ip", "netns", "add", self.name],
            [
                "ip",
                "link",
                "add",
                self.host_if,
                "type",
                "veth",
                "peer",
                "name",
                self.ns_if,
            ],
            ["ip", "link", "set", self.ns_if, "netns", self.name],
            ["ip", "addr", "add", f"{self.host_ip}/30", "dev", self.host_if],
            ["ip", "link", "set", self.host_if, "up"],
            self.wrap(["ip", "addr", "add", f"{self.ns_ip}/30", "dev", self.ns_if]),
            self.wrap(["ip", "link", "set", self.ns_if, "up"]),
            self.wrap(["ip", "link", "set", "lo", "up"]),
        ]
        for argv in commands:
            subprocess.run(argv, check=True, capture_output=True)
        return self

    def wrap(self, argv: Sequence[str]) -> list[str]:
        return ["ip", "netns", "exec", self.name, *argv]

    def remove(self) -> None:
        subprocess.run(
            ["ip", "link", "del", self.host_if], check=False, capture_output=True
        )
        subprocess.run(
            ["ip", "netns", "del", self.name], check=False, capture_output=True
        )


def unique(prefix: str = "efaprov") -> tuple[str, int]:
    """A namespace name and subnet number unlikely to clash with a parallel run."""
    pid = os.getpid()
    return f"{prefix}{pid % 100000}", pid % 250 + 1
