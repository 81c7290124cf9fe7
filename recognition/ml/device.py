"""Device selection: `auto` means CUDA when available, else CPU."""

from __future__ import annotations

import re

import torch

_CUDA = re.compile(r"^cuda(:\d+)?$")


def resolve_device(device: str) -> str:
    """Turn a device setting ("auto", "cpu", "cuda", "cuda:N") into a concrete torch device string.

    Raises ValueError for anything else, or when CUDA is requested but not available.
    """
    value = device.strip().lower()
    if value == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if value == "cpu":
        return "cpu"
    if _CUDA.match(value):
        if not torch.cuda.is_available():
            raise ValueError(f"Device {device!r} requested but CUDA is not available; use 'auto' or 'cpu'.")
        index = int(value.split(":")[1]) if ":" in value else 0
        if index >= torch.cuda.device_count():
            raise ValueError(
                f"Device {device!r} requested but only {torch.cuda.device_count()} GPU(s) exist."
            )
        return value
    raise ValueError(f"Unknown device {device!r}; use 'auto', 'cpu', 'cuda' or 'cuda:N'.")
