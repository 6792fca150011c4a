"""Question bank files: the .xlsx template (Vietnamese headers), Aiken and GIFT.

Every import is all or nothing: each question is checked first, problems are reported per row
(or per line for text formats), and nothing is written unless the whole file is clean.

- `drafts`: the parsed question every reader produces, and the checks run on it;
- `xlsx`, `aiken`, `gift`: one reader per format (`xlsx` also writes the template and export);
- `importing`: `import_questions`, which reads, checks and writes all or none.
"""

from contests.quiz.formats.drafts import COLUMNS
from contests.quiz.formats.importing import import_questions
from contests.quiz.formats.xlsx import export_bytes, template_bytes
from core.spreadsheets import ImportRejected

__all__ = ["COLUMNS", "ImportRejected", "export_bytes", "import_questions", "template_bytes"]
