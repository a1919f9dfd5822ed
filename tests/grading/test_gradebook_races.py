"""Two graders on a server racing for one row: a claim against the recording that settles
its submission, two recordings creating one candidate. Each race is played out in order:
one side's transaction held open until the other waits on its lock."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from grading.gradebook import Gradebook, database_url
from grading.results import SubmissionResult, SubmissionStatus
from tests.grading.postgres import Server

pytestmark = pytest.mark.postgres


def _driver_url(url: str) -> str:
    return database_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _wait_for_a_lock(url: str, other: threading.Thread) -> None:
    """Until some session of the database waits on another's lock."""
    with psycopg.connect(_driver_url(url), autocommit=True) as watcher:
        while not watcher.execute(
                "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()").fetchall():
            assert other.is_alive(), "the other side finished without waiting"
            time.sleep(0.01)


def test_a_claim_that_waited_for_the_holders_recording_is_refused_once_it_is_settled(
        postgres_server: Server) -> None:
    url = postgres_server.new_database()
    with Gradebook.open(url) as book:
        assert book.claim("h-ada", "holder", timedelta(minutes=5))
        holder = psycopg.connect(_driver_url(url))
        # the holder's recording, half done: its claim dropped and its result written,
        # not yet committed
        holder.execute("DELETE FROM claims WHERE content_hash = 'h-ada'")
        (candidate,) = holder.execute("INSERT INTO candidates (name, created_at) "
                                      "VALUES ('ada', now()) RETURNING id").fetchone() or ()
        holder.execute(
            "INSERT INTO submissions (candidate_id, content_hash, source_path, status, "
            "points, max_points, seconds, workbook_meta, recorded_at) "
            "VALUES (%s, 'h-ada', 'ada.ipynb', 'graded', 1, 1, 1.0, '{}', %s)",
            [candidate, datetime.now(UTC)])
        taken: list[bool] = []
        other = threading.Thread(target=lambda: taken.append(
            book.claim("h-ada", "other", timedelta(minutes=5))))
        other.start()
        _wait_for_a_lock(url, other)
        holder.commit()
        holder.close()
        other.join()

        assert taken == [False]
        assert book.claim_owner("h-ada") is None


def test_a_candidate_created_by_another_grader_meanwhile_is_found_not_doubled(
        postgres_server: Server) -> None:
    url = postgres_server.new_database()
    with Gradebook.open(url) as book:
        first = psycopg.connect(_driver_url(url))
        (created,) = first.execute("INSERT INTO candidates (name, created_at) "
                                   "VALUES ('ada', now()) RETURNING id").fetchone() or ()
        result = SubmissionResult(candidate="ada", source="ada.ipynb", content_hash="h-ada",
                                  status=SubmissionStatus.GRADED)
        other = threading.Thread(target=lambda: book.record_submission(result,
                                                                       workbook_meta={}))
        other.start()
        _wait_for_a_lock(url, other)
        first.commit()
        first.close()
        other.join()

        assert book.submission("h-ada") == result
        with psycopg.connect(_driver_url(url)) as check:
            assert check.execute("SELECT c.id FROM candidates c JOIN submissions s "
                                 "ON s.candidate_id = c.id").fetchall() == [(created,)]
            assert check.execute("SELECT count(*) FROM candidates").fetchall() == [(1,)]
