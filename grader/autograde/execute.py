"""nbgrader's Execute step with a notebook deadline, output caps and crash recovery."""

from __future__ import annotations

import math
import time
from typing import Any

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import run_sync
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Integer

TIMED_OUT = "timed_out"
KERNEL_DIED = "kernel_died"


def error_output(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(
        output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"]
    )


class GuardedExecute(Execute):
    """Run a submission like nbgrader's Execute, but survive what stock nbgrader does not.

    * A notebook deadline: once ``notebook_timeout`` seconds have passed, the running cell is
      interrupted and the remaining cells are not run.
    * When the kernel dies (``os._exit``, a segfault, the memory limit) or ignores an
      interrupt, the kernel is killed and every remaining cell gets an error output instead
      of the whole submission failing, so the tests that did run keep their scores.
    * Each cell keeps at most ``output_bytes_per_cell`` bytes of output; the rest is dropped
      while it arrives, so a print loop cannot exhaust the grader's memory.

    ``events`` lists what happened, for the submission's status: ``(kind, message)`` pairs.
    """

    notebook_timeout = Integer(900, help="Seconds for the whole notebook.").tag(config=True)
    output_bytes_per_cell = Integer(1024 * 1024, help="Output bytes kept per cell.").tag(
        config=True
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.shutdown_kernel = "immediate"
        self.events: list[tuple[str, str]] = []
        self._abort: tuple[str, str] | None = None
        self._deadline = math.inf
        self._cell_budget: float | None = None
        self._cell_bytes = 0
        self._cell_truncated = False

    @property
    def abort_kind(self) -> str | None:
        """TIMED_OUT or KERNEL_DIED when the notebook did not run to its end."""
        return self._abort[0] if self._abort else None

    def preprocess(self, nb: NotebookNode, resources: Any, km: Any = None) -> Any:
        self.events = []
        self._abort = None
        self._deadline = time.monotonic() + self.notebook_timeout
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int) -> Any:
        if cell.cell_type != "code" or not cell.source.strip():
            return super().preprocess_cell(cell, resources, index)
        if self._abort is None and time.monotonic() >= self._deadline:
            self._stop(TIMED_OUT, f"the notebook time limit of {self.notebook_timeout} s ran out")
        if self._abort is not None:
            cell.outputs = [error_output("CellNotRun", f"not run because {self._abort[1]}")]
            return cell, resources

        self._cell_budget = max(
            1.0, min(float(self.timeout or math.inf), self._deadline - time.monotonic())
        )
        self._cell_bytes = 0
        self._cell_truncated = False
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._stop(KERNEL_DIED, f"the kernel died in cell {index}")
        except CellTimeoutError:
            self._stop(TIMED_OUT, f"cell {index} ignored the interrupt after its time limit")
        cell.outputs.append(error_output("KernelStopped", self._abort[1] if self._abort else ""))
        return cell, resources

    def _stop(self, kind: str, message: str) -> None:
        self._abort = (kind, message)
        self.events.append((kind, message))
        self.log.warning("stopping the notebook: %s", message)
        if self.km is not None:
            try:
                run_sync(self.km.shutdown_kernel)(now=True)
            except RuntimeError as error:
                self.log.warning("kernel shutdown after %s failed: %s", kind, error)

    def _get_timeout(self, cell: NotebookNode | None) -> int | None:
        if self._cell_budget is None:
            return super()._get_timeout(cell)
        return max(1, int(math.ceil(self._cell_budget)))

    async def _async_handle_timeout(self, timeout: int, cell: NotebookNode | None = None) -> Any:
        self.events.append((TIMED_OUT, f"a cell ran longer than {timeout} s and was interrupted"))
        return await super()._async_handle_timeout(timeout, cell)

    def output(
        self,
        outs: list[NotebookNode],
        msg: dict[str, Any],
        display_id: str | None,
        cell_index: int,
    ) -> NotebookNode | None:
        size = _message_size(msg)
        if self._cell_bytes + size > self.output_bytes_per_cell:
            if not self._cell_truncated:
                self._cell_truncated = True
                limit_kib = self.output_bytes_per_cell // 1024
                notice = f"\n[output truncated: this cell printed more than {limit_kib} KiB]\n"
                outs.append(NotebookNode(output_type="stream", name="stdout", text=notice))
                self.events.append(("output_truncated", f"cell {cell_index} output truncated"))
            return None
        self._cell_bytes += size
        return super().output(outs, msg, display_id, cell_index)


def _message_size(msg: dict[str, Any]) -> int:
    content = msg.get("content", {})
    if "text" in content:
        return len(content["text"])
    data = content.get("data", {})
    total = sum(
        len(value) if isinstance(value, str) else len(str(value)) for value in data.values()
    )
    return total + sum(len(line) for line in content.get("traceback", []))
