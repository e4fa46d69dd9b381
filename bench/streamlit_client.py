"""A simulated browser tab: Streamlit's websocket protocol with its own protobufs, and the page it was sent.

The frontend's side of a rerun, as far as a load test needs it:
- A `BackMsg.rerun_script` carries a `ClientState`: the page's query string (the frontend keeps it in the URL
  and the server changes it with `page_info_changed`), the page's script hash (from the `navigation` message of
  the last run), a `fragment_id` when the widget that caused the rerun lives in a fragment, and `WidgetStates`:
  every widget's current value, plus `trigger_value = true` for the button that was clicked. A form's submit
  button is a button with `is_form_submitter`; submitting sends the form's values and that trigger together.
- The server answers with `ForwardMsg`s: `new_session` when a run starts, a `delta` per element or block (its
  place in `metadata.delta_path`), and `script_finished` at the end. A run that failed in the page sends an
  `exception` element (with `client.showErrorDetails = "none"` only a generic text, but the element is there).

`Page` is what the run drew: its widgets by user key (the key is the tail of the widget id, see
`streamlit/elements/lib/utils.py` `_compute_element_id`), its texts, alerts and exceptions. A fragment run
redraws only its fragment's elements, so the previous page is kept for the rest.

Only loopback is ever contacted (no proxy from the environment); every wait has a limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from websockets.asyncio.client import ClientConnection, connect

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

CONNECT_TIMEOUT_S = 15.0
RERUN_TIMEOUT_S = 60.0
ID_PREFIX = "$$ID-"
WIDGET_TYPES = ("button", "form_submit_button", "checkbox", "radio", "selectbox", "download_button", "text_area",
                "text_input", "toggle", "multiselect", "number_input", "slider", "button_group")
FINISHED = ("FINISHED_SUCCESSFULLY", "FINISHED_FRAGMENT_RUN_SUCCESSFULLY")
ALERT_KINDS = {Alert.ERROR: "error", Alert.WARNING: "warning", Alert.INFO: "info", Alert.SUCCESS: "success"}


class ProtocolError(RuntimeError):
    pass


def user_key(widget_id: str) -> str:
    """`$$ID-<hash>-<user key>` -> the user key ('' for a widget without one)."""
    if not widget_id.startswith(ID_PREFIX):
        return ""
    rest = widget_id[len(ID_PREFIX):]
    _, _, key = rest.partition("-")
    return "" if key == "None" else key


@dataclass
class Widget:
    id: str
    kind: str  # the Element oneof: button, radio, checkbox, ...
    key: str
    label: str
    options: tuple[str, ...] = ()
    form_id: str = ""
    is_form_submitter: bool = False
    type: str = ""  # a button's: primary, secondary, tertiary
    fragment_id: str = ""
    path: tuple[int, ...] = ()


@dataclass
class Drawn:
    path: tuple[int, ...]
    fragment_id: str
    kind: str
    text: str = ""
    alert: str = ""  # error, warning, info, success for an alert
    widget: Widget | None = None


@dataclass
class Page:
    elements: list[Drawn] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)

    @property
    def widgets(self) -> list[Widget]:
        return [d.widget for d in self.elements if d.widget is not None]

    def widget(self, key: str) -> Widget | None:
        return next((w for w in self.widgets if w.key == key), None)

    def with_key_prefix(self, prefix: str, kind: str | None = None) -> list[Widget]:
        return [w for w in self.widgets if w.key.startswith(prefix) and (kind is None or w.kind == kind)]

    def buttons(self) -> list[Widget]:
        return [w for w in self.widgets if w.kind == "button"]

    def submitter(self, form_id: str) -> Widget | None:
        return next((w for w in self.widgets if w.is_form_submitter and w.form_id == form_id), None)

    def alerts(self, kind: str | None = None) -> list[str]:
        return [d.text for d in self.elements if d.alert and (kind is None or d.alert == kind)]

    def texts(self) -> list[str]:
        return [d.text for d in self.elements if d.text]

    def has_text(self, fragment: str) -> bool:
        return any(fragment in text for text in self.texts())


@dataclass
class RunResult:
    latency_s: float
    status: str  # ForwardMsg.ScriptFinishedStatus name
    page: Page
    exceptions: list[str]  # exception elements drawn in this run
    deltas: int = 0  # elements and blocks the server sent for this run

    @property
    def finished(self) -> bool:
        """The run (of the whole page, or of a fragment) finished without being cut short or failing to compile."""
        return self.status in FINISHED


def _drawn(fwd: ForwardMsg) -> Drawn | None:
    delta = fwd.delta
    path = tuple(fwd.metadata.delta_path)
    kind = delta.WhichOneof("type")
    if kind == "add_block":
        block = delta.add_block
        label = block.expandable.label if block.WhichOneof("type") == "expandable" else ""
        return Drawn(path, delta.fragment_id, "block", text=label)
    if kind != "new_element":
        return None
    element = delta.new_element
    etype = element.WhichOneof("type")
    if etype is None:
        return None
    body = getattr(element, etype)
    if etype == "exception":
        return Drawn(path, delta.fragment_id, etype, text=f"{body.type}: {body.message}")
    if etype == "alert":
        return Drawn(path, delta.fragment_id, etype, text=body.body, alert=ALERT_KINDS.get(body.format, "other"))
    if etype in ("markdown", "heading", "text", "caption", "code"):
        return Drawn(path, delta.fragment_id, etype, text=getattr(body, "body", ""))
    if etype in WIDGET_TYPES and getattr(body, "id", ""):
        widget = Widget(id=body.id, kind=etype, key=user_key(body.id), label=getattr(body, "label", ""),
                        options=tuple(getattr(body, "options", ())), form_id=getattr(body, "form_id", ""),
                        is_form_submitter=bool(getattr(body, "is_form_submitter", False)),
                        type=getattr(body, "type", "") if etype == "button" else "",
                        fragment_id=delta.fragment_id, path=path)
        return Drawn(path, delta.fragment_id, etype, text=widget.label, widget=widget)
    return Drawn(path, delta.fragment_id, etype)


class Session:
    """One browser tab. `run()` sends a rerun (with the widget values the tab holds, and optionally a click) and
    returns when the server has finished it. Not safe for concurrent use: one run in flight at a time."""

    def __init__(self, url: str, query: dict[str, str] | None = None, locale: str = "sv-SE") -> None:
        self.url = url
        self.query_string = urlencode(query or {})
        self.locale = locale
        self.ws: ClientConnection | None = None
        self.page_script_hash = ""
        self.page = Page()
        self.values: dict[str, WidgetState] = {}  # widget id -> its value, as the frontend keeps them
        self.runs = 0
        self.exceptions: list[str] = []  # every exception element this tab was ever sent

    async def open(self) -> None:
        self.ws = await connect(self.url, subprotocols=["streamlit"],  # type: ignore[list-item]
                                proxy=None, compression=None, open_timeout=CONNECT_TIMEOUT_S,
                                ping_interval=None, max_size=None, close_timeout=2)

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
            self.ws = None

    # --- what the tab sends ---------------------------------------------------------------------------------

    def set_value(self, widget: Widget, value: bool | str | int | list[str]) -> None:
        """A value the user gave a widget (kept until that widget is gone, as the frontend does)."""
        state = WidgetState(id=widget.id)
        if widget.kind == "multiselect":  # the shown options' texts, in the order picked (MultiSelectSerde)
            state.string_array_value.data.extend(str(v) for v in value)
        elif widget.kind == "checkbox":
            state.bool_value = bool(value)
        elif widget.kind in ("radio", "selectbox"):
            state.string_value = str(value)  # the shown option's text (RadioSerde: string_value)
        elif isinstance(value, bool):
            state.bool_value = value
        elif isinstance(value, int):
            state.int_value = value
        else:
            state.string_value = value
        self.values[widget.id] = state

    def _rerun_msg(self, click: Widget | None) -> bytes:
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query_string
        cs.page_script_hash = self.page_script_hash
        cs.page_name = ""
        if click is not None and click.fragment_id:
            cs.fragment_id = click.fragment_id
        cs.widget_states.SetInParent()
        for state in self.values.values():
            cs.widget_states.widgets.append(state)
        if click is not None:
            cs.widget_states.widgets.append(WidgetState(id=click.id, trigger_value=True))
        cs.context_info.timezone = "Europe/Stockholm"
        cs.context_info.timezone_offset = -60
        cs.context_info.locale = self.locale
        cs.context_info.url = f"http://{self.url.split('/')[2]}/"
        cs.context_info.is_embedded = False
        return msg.SerializeToString()

    # --- a run ------------------------------------------------------------------------------------------------

    async def run(self, click: Widget | None = None, timeout: float = RERUN_TIMEOUT_S,
                  send_twice: bool = False) -> RunResult:
        """Rerun (clicking `click` if given) and wait for script_finished. `send_twice` sends the same message
        twice back to back, as a double click does; the run then ends with the last run the server made."""
        assert self.ws is not None, "open() first"
        message = self._rerun_msg(click)
        started = time.perf_counter()
        await self.ws.send(message)
        if send_twice:
            await self.ws.send(message)
        async with asyncio.timeout(timeout):
            result = await self._read_run(started, fragment_id=click.fragment_id if click else "")
            if send_twice:
                result = await self._drain(result, started)
        self.runs += 1
        return result

    async def _drain(self, result: RunResult, started: float, quiet_s: float = 0.5) -> RunResult:
        """After a double send the server made one run or two (the first may also be cut short before it drew
        anything, with no script_finished of its own): wait, bounded, for another run to start."""
        assert self.ws is not None
        while True:
            try:
                data = await asyncio.wait_for(self.ws.recv(), quiet_s)
            except TimeoutError:
                return result
            fwd = ForwardMsg()
            fwd.ParseFromString(data)  # type: ignore[arg-type]
            if fwd.WhichOneof("type") == "new_session":
                second = await self._read_run(started, first=data)
                second.exceptions[:0] = result.exceptions
                return second

    async def _read_run(self, started: float, fragment_id: str = "", first: bytes | None = None) -> RunResult:
        assert self.ws is not None
        drawn: list[Drawn] = []
        exceptions: list[str] = []
        deltas = 0
        pending = first
        while True:
            data = pending if pending is not None else await self.ws.recv()
            pending = None
            fwd = ForwardMsg()
            fwd.ParseFromString(data)  # type: ignore[arg-type]
            kind = fwd.WhichOneof("type")
            if kind == "delta":
                deltas += 1
                item = _drawn(fwd)
                if item is not None:
                    drawn.append(item)
                    if item.kind == "exception":
                        exceptions.append(item.text)
            elif kind == "navigation":
                self.page_script_hash = fwd.navigation.page_script_hash
            elif kind == "page_info_changed":
                self.query_string = fwd.page_info_changed.query_string
            elif kind == "session_event" and fwd.session_event.WhichOneof("type") == "script_compilation_exception":
                exceptions.append(f"compilation: {fwd.session_event.script_compilation_exception.message}")
            elif kind == "script_finished":
                status = ForwardMsg.ScriptFinishedStatus.Name(fwd.script_finished)
                if fwd.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    drawn.clear()  # a newer run follows (a double click): the page is what that one draws
                    continue
                if fwd.script_finished == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
                    ran = {d.fragment_id for d in drawn} | ({fragment_id} if fragment_id else set())
                    kept = [d for d in self.page.elements if d.fragment_id not in ran]
                    self.page = Page(kept + drawn)
                else:
                    self.page = Page(drawn)
                self.page.exceptions = exceptions
                self.exceptions += exceptions
                live = {w.id for w in self.page.widgets}
                self.values = {wid: state for wid, state in self.values.items() if wid in live}
                return RunResult(time.perf_counter() - started, status, self.page, exceptions, deltas)
