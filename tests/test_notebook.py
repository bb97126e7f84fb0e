"""The comparison notebook runs top to bottom (so it cannot rot)."""

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "derivatives_compared.ipynb"


def test_notebook_executes_and_finds_symdiff_exact(tmp_path):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert any(cell.get("outputs") for cell in notebook.cells), "stored without outputs"
    client = nbclient.NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    text = "\n".join(
        out.get("text", "") + out.get("data", {}).get("text/plain", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for out in cell.outputs
    )
    assert "error" not in {out.output_type for c in notebook.cells for out in c.get("outputs", [])}
    assert list(tmp_path.iterdir()) == []  # it writes nothing where it runs
    assert "def f_grad(x, z):" in text
    assert "reverse  [1208.38121513  809.70747922]  relative error" in text
    assert "symdiff reverse mode" in text and "OK (rtol" in text
    # the computation graphs of the lecture example and of the two-layer network
    assert "explain L(a=3.0, b=1.0, c=-2.0) = 17.0" in text
    assert "backward pass: adjoints dL/d(node), from dL/di = 1" in text
    assert "explain two_layer(W1=array(3, 4)" in text
    drawn = [
        cell
        for cell in notebook.cells
        if cell.cell_type == "code" and ".graph()" in cell.source
        for out in cell.outputs
        if "image/png" in out.get("data", {})
    ]
    assert len(drawn) == 2
