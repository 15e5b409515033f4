"""What `tito grade` writes: one module per output, each rendering `SubmissionResult`s and nothing else.

| module | writes |
| --- | --- |
| `csv_report` | `grades.csv`: one row per student, one column per hidden test |
| `gradescope` | Gradescope's `results.json` for one student; the autograder zip |
| `feedback` | one self-contained HTML page per student |
| `summary` | a text summary and `summary.png` (grade histogram, pass rate per test) |
| `gradebook` | nbgrader's `gradebook.db` and the `source/` and `autograded/` folders formgrader shows |
| `manual` | written answers gathered per question for hand grading; the scores template and its reader |
| `write` | `write_all`: every output above into one folder |

Heavy libraries (matplotlib, nbgrader's database layer) are imported inside the functions that need them.
"""

from tito.grading.reports.summary import summary_text
from tito.grading.reports.write import write_all

__all__ = ["summary_text", "write_all"]
