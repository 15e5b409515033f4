"""Read a module's Jupytext source into a notebook whose cells remember their line in the file."""

from __future__ import annotations

import copy
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat
from nbformat import NotebookNode

from tito.errors import SourceError

# The notebook metadata JupyterLab 4 writes for ipykernel's `python3` kernel, so that opening a notebook leaves it
# unmodified. language_info is what the kernel reports (ipykernel, on the Python that builds the course).
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": sys.version_info[0]},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": f"ipython{sys.version_info[0]}",
    "version": platform.python_version(),
}
_KEPT_CELL_METADATA = ("nbgrader", "tags")


@dataclass(frozen=True)
class SourceCell:
    """One cell of a source file and the 1-based line of its `# %%` header."""

    index: int
    header_line: int
    cell: NotebookNode

    def line_of(self, source_line_index: int) -> int:
        """The file line of the cell's `source_line_index`-th source line (0-based)."""
        return self.header_line + 1 + source_line_index

    @property
    def lines(self) -> list[str]:
        return self.cell.source.split("\n")


@dataclass(frozen=True)
class ModuleSource:
    """A parsed `name_dev.py`."""

    path: Path
    cells: list[SourceCell]

    def notebook(self) -> NotebookNode:
        """A clean nbformat 4.5 notebook: deterministic cell ids, only nbgrader metadata, python3 kernel."""
        return build_notebook([cell.cell for cell in self.cells])


def read_source(path: Path) -> ModuleSource:
    """Parse a percent-format file. Text before the first `# %%` (other than the header) is an error."""
    text = path.read_text(encoding="utf-8")
    notebook = jupytext.reads(text, fmt="py:percent")
    lines = text.split("\n")
    header_lines = [number for number, line in enumerate(lines, start=1) if line.startswith("# %%")]
    if len(header_lines) != len(notebook.cells):
        first_code = _first_line_outside_cells(lines)
        raise SourceError(path, first_code, "code outside a cell: every cell must start with a '# %%' line")
    cells = [
        SourceCell(index=index, header_line=line, cell=cell)
        for index, (line, cell) in enumerate(zip(header_lines, notebook.cells))
    ]
    return ModuleSource(path=path, cells=cells)


def build_notebook(cells: list[NotebookNode]) -> NotebookNode:
    """Wrap cells in a notebook with stable ids and metadata, so builds are byte-for-byte reproducible."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata = nbformat.from_dict(
        {"kernelspec": copy.deepcopy(KERNELSPEC), "language_info": copy.deepcopy(LANGUAGE_INFO)}
    )
    used_ids: set[str] = set()
    for index, original in enumerate(cells):
        cell = copy.deepcopy(original)
        cell.metadata = nbformat.from_dict(
            {key: cell.metadata[key] for key in _KEPT_CELL_METADATA if key in cell.metadata}
        )
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        cell_id = grade_id if grade_id and grade_id not in used_ids else f"cell-{index}"
        used_ids.add(cell_id)
        cell["id"] = cell_id
        notebook.cells.append(cell)
    return notebook


def _first_line_outside_cells(lines: list[str]) -> int:
    in_header = False
    for number, line in enumerate(lines, start=1):
        if line.startswith("# %%"):
            return number
        if line.strip() == "# ---":
            in_header = not in_header
            continue
        if not in_header and line.strip():
            return number
    return 1
