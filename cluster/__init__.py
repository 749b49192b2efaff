"""`make cluster`: Bungu on several machines, played on one machine's loopback."""

from .topology import PROFILE, WORKER_COMMAND, Cluster, Node

__all__ = ["PROFILE", "WORKER_COMMAND", "Cluster", "Node"]
