"""Device selection: `auto` means CUDA when available, else CPU."""

from __future__ import annotations

import re

_CUDA = re.compile(r"^cuda(:\d+)?$")


def device_kind(device: str) -> str:
    """ "auto", "cpu" or "cuda" for a device setting, without importing torch (system checks);
    ValueError for anything else."""
    value = device.strip().lower()
    if value in ("auto", "cpu"):
        return value
    if _CUDA.match(value):
        return "cuda"
    raise ValueError(f"Unknown device {device!r}; use 'auto', 'cpu', 'cuda' or 'cuda:N'.")


def resolve_device(device: str) -> str:
    """Turn a device setting ("auto", "cpu", "cuda", "cuda:N") into a concrete torch device string.

    Raises ValueError for anything else, or when CUDA is requested but not available.
    """
    kind = device_kind(device)
    if kind == "cpu":
        return "cpu"
    import torch  # only now: "cpu" needs no torch, and checks ask device_kind()

    if kind == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    value = device.strip().lower()
    if not torch.cuda.is_available():
        raise ValueError(f"Device {device!r} requested but CUDA is not available; use 'auto' or 'cpu'.")
    index = int(value.split(":")[1]) if ":" in value else 0
    if index >= torch.cuda.device_count():
        raise ValueError(f"Device {device!r} requested but only {torch.cuda.device_count()} GPU(s) exist.")
    return value
