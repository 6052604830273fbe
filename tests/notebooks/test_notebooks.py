"""Every walkthrough notebook executes, start to end, against a live local server (offline),
and draws the figures it promises."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import ADMIN_TOKEN, ROOT, LiveServer

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
FIGURES = {
    "05_usage_and_billing.ipynb": ["usage.png"],
    "06_performance.ipynb": ["search_latency.png", "peers.png"],
}


def test_the_six_walkthroughs_are_there_without_outputs() -> None:
    assert [p.name for p in NOTEBOOKS] == [
        "01_quickstart.ipynb",
        "02_multi_tenant_isolation.ipynb",
        "03_langgraph_agent_memory.ipynb",
        "04_llamaindex.ipynb",
        "05_usage_and_billing.ipynb",
        "06_performance.ipynb",
    ]
    for path in NOTEBOOKS:
        book = nbformat.read(path, as_version=4)
        code = [c for c in book.cells if c.cell_type == "code"]
        assert all(not c.outputs and c.execution_count is None for c in code), path.name
        text = [c for c in book.cells if c.cell_type == "markdown"]
        assert len(text) >= len(code) - 1, f"{path.name}: explain the code between the cells"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_a_notebook_runs_end_to_end(
    path: Path, live_server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MNEMORA_API_URL", live_server.url)
    monkeypatch.setenv("MNEMORA_ADMIN_TOKEN", ADMIN_TOKEN)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    book = nbformat.read(path, as_version=4)
    work = tmp_path / "notebooks"
    work.mkdir()
    (tmp_path / "BENCHMARKS.md").write_text((ROOT / "BENCHMARKS.md").read_text())
    NotebookClient(
        book, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(work)}}
    ).execute()
    errors = [
        output
        for cell in book.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert errors == []
    printed = "".join(
        output.get("text", "")
        for cell in book.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    assert "server:" in printed
    for figure in FIGURES.get(path.name, []):
        assert (work / figure).stat().st_size > 10_000, f"{figure} was drawn"
