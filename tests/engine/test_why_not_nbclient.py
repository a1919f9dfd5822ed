"""Why the engine drives kernels with its own lean client instead of nbclient.

ARCHITECTURE.md names nbclient as the library the design card picked; the engine uses
`grading/kernel/client.py` instead. One reason is this fault of nbclient (seen in 0.11):
once a cell times out, its output-polling task keeps running beside the next cell's, the
two share the IOPub channel, and each drops the messages it reads for the other cell. A
grader built on it would lose, or misattribute, what a slow answer prints, which is the
very evidence a timeout verdict must show. The engine attributes every message by the
step's report (tests/engine/test_faults.py). If this test starts failing, nbclient has
fixed the fault: revisit the choice.
"""

from __future__ import annotations

import re
import time

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError

TICKS = 20


def test_nbclient_loses_output_printed_after_a_cell_times_out() -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(
            "import time\n"
            f"for i in range({TICKS}):\n"
            "    print('tick', i, flush=True)\n"
            "    time.sleep(0.1)"),
        nbformat.v4.new_code_cell("print('next cell ran', flush=True)"),
    ]
    client = NotebookClient(notebook, timeout=1, interrupt_on_timeout=False,
                            kernel_name="python3", allow_errors=True)
    with client.setup_kernel():
        with pytest.raises(CellTimeoutError):
            client.execute_cell(notebook.cells[0], 0)
        time.sleep(TICKS * 0.1 + 0.5)  # the slow cell has finished in the kernel by now
        client.execute_cell(notebook.cells[1], 1)

    printed = "".join(output.get("text", "") for cell in notebook.cells
                      for output in cell.outputs)
    seen = {int(tick) for tick in re.findall(r"tick (\d+)", printed)}
    lost = set(range(TICKS)) - seen
    assert lost, "nbclient kept every line a timed-out cell printed: revisit the lean client"
