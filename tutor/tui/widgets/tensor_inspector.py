"""TensorInspector: the tensors, parameters, modules and optimizers in the session."""

from __future__ import annotations

from tutor.protocol import Inspection
from tutor.render import format_bytes, format_stat
from tutor.tui.widgets.panel_table import PanelTable

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


def summary_row(entry: Inspection) -> tuple[str, ...]:
    """One inspector row from a summary computed in the kernel."""
    kind = entry.get("kind")
    if kind == "module":
        return (
            entry["name"],
            f"{entry['params']} params",
            "",
            entry.get("device") or "",
            format_bytes(entry.get("bytes")),
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
        format_bytes(entry["bytes"]),
        grad,
        format_stat(entry["min"]),
        format_stat(entry["max"]),
        format_stat(entry["mean"]),
        bad,
        entry["type"],
    )


class TensorInspector(PanelTable):
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
        for device, total in device_totals(entries).items():
            name = f"total on {device}"  # no Python name has a space: no clash with a row
            blank = ("",) * 6
            self.add_row(name, "", "", device, format_bytes(total), *blank, key=name)


def device_totals(entries: list[Inspection]) -> dict[str, int]:
    """Bytes per device of the tensors and modules listed.  A module counts all its
    parameters, so the parameter rows under it are not counted again."""
    totals: dict[str, int] = {}
    for entry in entries:
        if entry["kind"] in ("tensor", "module"):
            device = entry["device"]  # type: ignore[typeddict-item]
            if device:  # a module without parameters has none
                totals[device] = totals.get(device, 0) + entry["bytes"]  # type: ignore[typeddict-item]
    return totals
