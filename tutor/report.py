"""Machine-readable reports of a headless run: JSON and JUnit XML (pure functions)."""

from __future__ import annotations

import json
import os
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tutor import __version__
from tutor.lessons import LessonError
from tutor.metrics import series_kind
from tutor.output import strip_ansi
from tutor.protocol import PlotSpec
from tutor.runner import LessonResult, StepStatus
from tutor.session import Memory


@dataclass
class RunReport:
    """Everything a headless run found, in the order it ran."""

    device: str = ""
    torch_version: str = ""
    duration_s: float = 0.0
    lessons: list[LessonResult] = field(default_factory=list)
    lesson_errors: list[LessonError] = field(default_factory=list)
    interrupted: bool = False

    def count(self, status: StepStatus) -> int:
        return sum(1 for r in self.lessons for s in r.steps if s.status is status)

    @property
    def failed(self) -> bool:
        return any(r.status is StepStatus.FAILED for r in self.lessons)


def to_json(report: RunReport) -> dict[str, Any]:
    return {
        "tutor_version": __version__,
        "torch_version": report.torch_version,
        "device": report.device,
        "duration_s": round(report.duration_s, 3),
        "interrupted": report.interrupted,
        "lesson_errors": [
            {"path": str(e.path), "line": e.line, "message": e.message}
            for e in report.lesson_errors
        ],
        "lessons": [
            {
                "id": r.lesson.id,
                "title": r.lesson.title,
                "status": r.status.value,
                "reason": r.reason,
                "device": report.device,
                "duration_s": round(r.duration_s, 3),
                "steps": [
                    {
                        "title": s.title,
                        "status": s.status.value,
                        "duration_s": round(s.duration_s, 3),
                        "error": s.error.to_json() if s.error else None,
                        "output": strip_ansi(s.output),
                        "plots": [plot_json(spec) for spec in s.plots],
                        "memory": memory_json(s.memory),
                    }
                    for s in r.steps
                ],
            }
            for r in report.lessons
        ],
    }


def memory_json(memory: Memory | None) -> dict[str, Any] | None:
    """A step's CUDA memory figures as the JSON report gives them, or None."""
    if memory is None:
        return None
    return {
        "device": memory.device,
        "allocated_bytes": memory.allocated,
        "peak_bytes": memory.peak,
    }


def plot_json(spec: PlotSpec) -> dict[str, Any]:
    """A plot as the JSON report gives it: each series' points as [x, y] pairs."""
    return {
        "title": spec["title"],
        "kind": spec["kind"],
        "x_label": spec["xlabel"],
        "y_label": spec["ylabel"],
        "series": [
            {
                "label": series["label"],
                "kind": series_kind(spec, series),
                "points": [[x, y] for x, y in zip(series["x"], series["y"], strict=True)],
            }
            for series in spec["series"]
        ],
    }


def to_junit(report: RunReport) -> ET.Element:
    root = ET.Element(
        "testsuites",
        name="tutor",
        tests=str(sum(len(r.steps) for r in report.lessons) + len(report.lesson_errors)),
        failures=str(report.count(StepStatus.FAILED)),
        errors=str(len(report.lesson_errors)),
        skipped=str(report.count(StepStatus.SKIPPED)),
        time=f"{report.duration_s:.3f}",
    )
    for result in report.lessons:
        suite = ET.SubElement(
            root,
            "testsuite",
            name=result.lesson.id,
            tests=str(len(result.steps)),
            failures=str(sum(s.status is StepStatus.FAILED for s in result.steps)),
            errors="0",
            skipped=str(sum(s.status is StepStatus.SKIPPED for s in result.steps)),
            time=f"{result.duration_s:.3f}",
        )
        ET.SubElement(
            ET.SubElement(suite, "properties"), "property", name="device", value=report.device
        )
        for step in result.steps:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"tutor.{result.lesson.id}",
                name=f"{step.index + 1:02d} {step.title}",
                time=f"{step.duration_s:.3f}",
            )
            if step.status is StepStatus.FAILED and step.error:
                failure = ET.SubElement(
                    case, "failure", type=step.error.type, message=step.error.message
                )
                failure.text = step.error.traceback or step.error.message
                if step.output:
                    ET.SubElement(case, "system-out").text = strip_ansi(step.output)
            elif step.status is StepStatus.SKIPPED:
                ET.SubElement(case, "skipped", message=result.reason or "skipped")
    if report.lesson_errors:
        suite = ET.SubElement(
            root,
            "testsuite",
            name="lesson-files",
            tests=str(len(report.lesson_errors)),
            failures="0",
            errors=str(len(report.lesson_errors)),
            skipped="0",
            time="0",
        )
        for error in report.lesson_errors:
            case = ET.SubElement(
                suite,
                "testcase",
                classname="tutor.lesson-files",
                name=f"{error.path}:{error.line}",  # a file may have several problems
            )
            ET.SubElement(case, "error", type="LessonError", message=str(error))
    return root


def write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path``, then rename: never a half-written file.

    The data reaches the disk (fsync) before the rename, so that even a power cut leaves
    either the old file or the whole new one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(report: RunReport, path: Path) -> None:
    write_atomically(path, json.dumps(to_json(report), indent=2) + "\n")


def write_junit(report: RunReport, path: Path) -> None:
    tree = to_junit(report)
    ET.indent(tree)
    write_atomically(
        path,
        '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(tree, encoding="unicode") + "\n",
    )
