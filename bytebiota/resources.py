"""What this machine has, and the resource presets (RESOURCE_PRESET / --preset).

A preset fills CPU_PERCENT, MEMORY_MB, DISK_MB and BATCH_SIZE; the configuration layers
above it (file, .env, environment, flags) still override each of them. ``auto`` detects the
machine with psutil and picks one of the other four; ``detection_report`` prints what it saw,
in the words of the seed documents.

Presets only bound how much of the machine ByteBiota uses; they never change what a
simulation computes, so a run's results do not depend on the machine it ran on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

MB = 1024 * 1024


@dataclass(frozen=True)
class Machine:
    """What psutil sees: logical cores, total memory, free disk under the data directory."""

    cores: int
    memory_mb: int
    disk_free_mb: int


@dataclass(frozen=True)
class Preset:
    """A named share of the machine. Memory is a fraction of the total with a floor and a cap,
    so one preset suits a laptop and a server alike."""

    name: str
    cpu_percent: float
    memory_fraction: float
    memory_floor_mb: int
    memory_cap_mb: int
    disk_mb: int
    batch_size: int
    summary: str
    cores_fraction: float = 0.0  # of the logical cores given island processes (at least 1)

    def values(self, machine: Machine) -> dict[str, int | float]:
        memory = int(machine.memory_mb * self.memory_fraction)
        memory = max(self.memory_floor_mb, min(self.memory_cap_mb, memory))
        # never plan to use more than half of the free disk
        disk = min(self.disk_mb, max(16, machine.disk_free_mb // 2))
        return {
            "CPU_PERCENT": self.cpu_percent,
            "MEMORY_MB": memory,
            "DISK_MB": disk,
            "BATCH_SIZE": self.batch_size,
            "WORKER_JOBS": max(1, int(machine.cores * self.cores_fraction)),
        }


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset("minimal", 10.0, 0.05, 64, 256, 256, 8, "a trickle: for shared or old machines"),
        Preset("background", 25.0, 0.10, 128, 1024, 1024, 8,
               "polite background work on a machine someone is using"),
        Preset("standard", 50.0, 0.25, 256, 8192, 4096, 16, "half the machine", 0.5),
        Preset("full", 100.0, 0.50, 512, 65536, 16384, 32, "a dedicated machine", 1.0),
    )
}


def detect(data_dir: str | Path = ".") -> Machine:
    """Measure this machine. The disk figure is for the nearest existing parent of data_dir."""
    import psutil  # imported here: only commands that need a preset pay for it

    cores = psutil.cpu_count(logical=True) or os.cpu_count() or 1
    memory_mb = int(psutil.virtual_memory().total // MB)
    probe = Path(data_dir).resolve()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    disk_free_mb = int(psutil.disk_usage(str(probe)).free // MB)
    return Machine(cores=cores, memory_mb=memory_mb, disk_free_mb=disk_free_mb)


def recommend(machine: Machine) -> str:
    """The preset ``auto`` stands for on this machine.

    Thresholds: a machine with 8+ cores and 16+ GiB can give a worker all of itself; 4+ cores
    and 4+ GiB half; 2+ cores and 1+ GiB a background share; anything smaller a trickle.
    """
    if machine.cores >= 8 and machine.memory_mb >= 16 * 1024:
        return "full"
    if machine.cores >= 4 and machine.memory_mb >= 4 * 1024:
        return "standard"
    if machine.cores >= 2 and machine.memory_mb >= 1024:
        return "background"
    return "minimal"


def resolve(name: str, machine: Machine) -> tuple[str, dict[str, int | float]]:
    """The concrete preset for ``name`` (``auto`` resolved) and the values it sets."""
    concrete = recommend(machine) if name == "auto" else name
    return concrete, PRESETS[concrete].values(machine)


def detection_report(machine: Machine) -> list[str]:
    """What ``--preset auto`` prints, in the seed's words."""
    concrete, values = resolve("auto", machine)
    return [
        "Auto-detecting optimal resource configuration...",
        f"Detected: {machine.cores} CPU cores, {machine.memory_mb}MB memory, "
        f"{machine.disk_free_mb}MB free disk",
        f"Recommended preset: {concrete}",
        f"Optimal settings: CPU={values['CPU_PERCENT']:g}%, Memory={values['MEMORY_MB']}MB, "
        f"Disk={values['DISK_MB']}MB, Batch size={values['BATCH_SIZE']}, "
        f"Jobs={values['WORKER_JOBS']}",
        "Using auto-detected optimal configuration",
    ]
