"""KernelSession's message handling, with a scripted client in place of a kernel.

What only the order or timing of messages decides is tested here, where the
order is chosen; what needs a real kernel is in tests/test_session.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tutor.session import Finished, KernelSession, KernelState, Output, RunStatus
from tutor.session import kernel as kernel_module


class ScriptedClient:
    """Stands in for jupyter_client's client: it only hands out message ids."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def execute(self, code: str, **_options: Any) -> str:
        self.sent.append(code)
        return f"msg-{len(self.sent)}"


def iopub(msg_id: str, msg_type: str, content: dict[str, Any]) -> dict[str, Any]:
    return {"msg_type": msg_type, "content": content, "parent_header": {"msg_id": msg_id}}


def reply(msg_id: str) -> dict[str, Any]:
    return {
        "msg_type": "execute_reply",
        "content": {"status": "ok", "user_expressions": {}},
        "parent_header": {"msg_id": msg_id},
    }


def idle_session() -> tuple[KernelSession, ScriptedClient]:
    session = KernelSession()
    client = ScriptedClient()
    session._kc = client
    session.state = KernelState.IDLE
    return session, client


async def start_run(
    session: KernelSession, client: ScriptedClient, code: str
) -> tuple[asyncio.Task[None], list[Any]]:
    """A task that runs ``code`` and collects its events, once its request is sent."""
    events: list[Any] = []

    async def consume() -> None:
        async for event in session.run(code):
            events.append(event)

    task = asyncio.create_task(consume())
    while not client.sent:
        await asyncio.sleep(0)
    return task, events


@pytest.mark.parametrize("idle_first", [True, False], ids=["idle-then-reply", "reply-then-idle"])
async def test_a_run_ends_as_soon_as_its_reply_and_idle_status_are_in(
    monkeypatch: pytest.MonkeyPatch, idle_first: bool
) -> None:
    # Were the run to wait for its next message or the watch interval, it would wait a minute.
    monkeypatch.setattr(kernel_module, "WATCH_INTERVAL_S", 60.0)
    session, client = idle_session()
    task, events = await start_run(session, client, "print('hi')")
    msg_id = "msg-1"
    session._route_iopub(iopub(msg_id, "status", {"execution_state": "busy"}))
    session._route_iopub(iopub(msg_id, "stream", {"name": "stdout", "text": "hi\n"}))
    last = [
        lambda: session._route_iopub(iopub(msg_id, "status", {"execution_state": "idle"})),
        lambda: session._route_reply(reply(msg_id)),
    ]
    for deliver in last if idle_first else reversed(last):
        deliver()
        await asyncio.sleep(0.05)  # the run takes in the first before the second comes
    await asyncio.wait_for(task, timeout=5)
    assert events[0] == Output("stdout", "hi\n")
    assert isinstance(events[-1], Finished) and events[-1].status is RunStatus.OK
    assert session.state is KernelState.IDLE


async def test_a_run_cancelled_as_a_message_arrives_is_cancelled() -> None:
    """Ctrl+C in headless and a restart in the app cancel the task reading a run's
    messages.  A message that comes in the same instant must not swallow that: the run
    would go on, and the Ctrl+C would have no effect.  (asyncio.wait_for does swallow it
    on Python 3.11; a step that reports its progress often makes the instant likely.)"""
    session, client = idle_session()
    task, events = await start_run(
        session, client, "for _ in progress(range(600)): time.sleep(0.05)"
    )
    msg_id = "msg-1"
    session._route_iopub(iopub(msg_id, "status", {"execution_state": "busy"}))
    await asyncio.sleep(0.05)  # the run waits for its next message
    session._route_iopub(iopub(msg_id, "stream", {"name": "stdout", "text": "tick\n"}))
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=2)
    assert task in done and task.cancelled(), f"the run went on (events {events})"
    assert events == []
