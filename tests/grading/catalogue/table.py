"""Rewrite the bug catalogue table of docs/hidden-suites.md from the catalogue: python tests/grading/catalogue/table.py"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "hidden-suites.md"


def main() -> None:
    sys.path.insert(0, str(ROOT / "tests" / "grading"))
    from catalogue import TABLE_END, TABLE_START, all_bugs, render_table

    text = DOC.read_text(encoding="utf-8")
    table = render_table(all_bugs())
    if TABLE_START in text:
        before, rest = text.split(TABLE_START, 1)
        after = rest.split(TABLE_END, 1)[1]
        text = before + table + after
    else:
        text = text.rstrip("\n") + "\n\n" + table + "\n"
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {len(all_bugs())} bugs to {DOC}")


if __name__ == "__main__":
    main()
