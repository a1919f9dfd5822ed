"""The gradebook: every batch verdict, in SQLite or any SQLAlchemy URL.

    from grading.gradebook import Gradebook
    gb = Gradebook.open("out/gradebook.sqlite")       # or "postgresql://user@host/db"
    gb.record_submission(result, workbook_meta=meta)  # one transaction per submission
    gb.results()                                      # latest submission per candidate

SQLAlchemy is imported here and nowhere else in the engine, and only to write what a
grading run does not (issued assignments, other owners' tables), to open a server, or to
open a SQLite file its migrations' SQLite text cannot bring up to date: reads, and a
run's claims, results and answer keys, go through the driver (reads.py, recorder.py).
"""

from grading.gradebook.store import Gradebook, database_url

__all__ = ["Gradebook", "database_url"]
