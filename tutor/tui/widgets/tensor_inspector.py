"""TensorInspector: the tensors, parameters, modules and optimizers in the session."""

from __future__ import annotations

from textual.widgets import DataTable

from tutor.protocol import Inspection
from tutor.render import format_stat

COLUMNS = (
    "name",
    "shape",
    "dtype",
    "device",
    "size",
    "grad",
    "min",
    "max",
    "mean",
    "nan/inf",
    "type",
)
"""Most telling first: a narrow panel cuts the columns on the right.  A module's or an
optimizer's type is its longest cell, and a tensor's says little, so it comes last."""


def _size(count: int | None) -> str:
    if count is None:
        return ""
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024  # type: ignore[assignment]
    return ""


def summary_row(entry: Inspection) -> tuple[str, ...]:
    """One inspector row from a summary computed in the kernel."""
    kind = entry.get("kind")
    if kind == "module":
        return (
            entry["name"],
            f"{entry['params']} params",
            "",
            entry.get("device") or "",
            _size(entry.get("bytes")),
            "",
            "",
            "",
            "",
            "",
            entry["type"],
        )
    if kind == "optimizer":
        return (
            entry["name"],
            f"lr {entry.get('lr')}",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            entry["type"],
        )
    needs, has = entry["requires_grad"], entry["has_grad"]
    grad = ", ".join(word for word, true in (("needs", needs), ("has", has)) if true)
    bad = "" if entry["nan"] is None else f"{entry['nan']}/{entry['inf']}"
    return (
        entry["name"],
        "[" + ", ".join(map(str, entry["shape"])) + "]",
        entry["dtype"],
        entry["device"],
        _size(entry["bytes"]),
        grad,
        format_stat(entry["min"]),
        format_stat(entry["max"]),
        format_stat(entry["mean"]),
        bad,
        entry["type"],
    )


class TensorInspector(DataTable):
    """Refreshed after every step; cleared when the session restarts."""

    DEFAULT_CSS = """
    TensorInspector { height: 1fr; }
    """

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_columns(*COLUMNS)

    def show(self, entries: list[Inspection]) -> None:
        self.clear()
        for entry in entries:
            self.add_row(*summary_row(entry), key=entry["name"])
