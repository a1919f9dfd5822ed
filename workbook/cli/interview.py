"""`workbook interview`: prepare a live session and serve it in JupyterLab until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbook.cli.common import add_bank_option, comma_list, load_bank_from
from workbook.model import Level
from workbook.selection import DEFAULT_MINUTES

if TYPE_CHECKING:
    from workbook.live.evidence import EvidenceRecorder
    from workbook.live.lab import LabServer
    from workbook.live.session import PreparedSession

DEFAULT_GRADEBOOK = Path("out") / "gradebook.sqlite"
DEFAULT_PORT = 8888


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "interview", help="run a live interview in JupyterLab with scoring panels",
        description="Prepare a session folder (the candidate's notebook and the interviewer's "
                    "notebook with scoring panels, bound to it) and serve both in JupyterLab "
                    "with real-time collaboration. Ctrl-C stops the servers; every score is "
                    "already in the gradebook, and --resume serves the session again.")
    parser.add_argument("--candidate", metavar="NAME",
                        help="the candidate's name (labels their scores in the gradebook); "
                             "required unless --resume")
    parser.add_argument("--level", choices=[lv.value for lv in Level],
                        help="required unless --resume")
    parser.add_argument("--resume", type=Path, metavar="SESSION_DIR",
                        help="serve a session prepared earlier (after Ctrl-C or a crash): "
                             "same notebooks and gradebook, every panel as it was scored")
    parser.add_argument("--questions", type=comma_list, metavar="ID,...",
                        help="exactly these questions, in this order")
    parser.add_argument("--sections", type=comma_list, metavar="A,B",
                        help="only these sections (see `workbook bank list`)")
    parser.add_argument("--count", type=int, metavar="N", help="number of questions")
    parser.add_argument("--minutes", type=int, default=DEFAULT_MINUTES, metavar="M",
                        help=f"time budget when --count is not given (default "
                             f"{DEFAULT_MINUTES})")
    parser.add_argument("--seed", type=int, default=0, help="selection seed (default 0)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, metavar="P",
                        help=f"the candidate's JupyterLab port; the interviewer's is P+1 "
                             f"(default {DEFAULT_PORT})")
    parser.add_argument("--ip", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1; 0.0.0.0 to let a "
                             "remote candidate in)")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="session folder (default out/interviews/<session id>)")
    parser.add_argument("--gradebook", default=str(DEFAULT_GRADEBOOK), metavar="URL",
                        help=f"gradebook file or SQLAlchemy URL (default {DEFAULT_GRADEBOOK})")
    parser.add_argument("--solo", action="store_true",
                        help="one person drives: no candidate notebook; the candidate answers "
                             "in the interviewer notebook")
    parser.add_argument("--no-lab", action="store_true",
                        help="only prepare the session folder; do not start JupyterLab")
    add_bank_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from workbook.errors import SessionError
    from workbook.live.session import prepare_session, resume_session

    if args.resume is not None:
        given = [flag for flag, value in (("--candidate", args.candidate),
                                          ("--level", args.level), ("--out", args.out),
                                          ("--questions", args.questions),
                                          ("--sections", args.sections),
                                          ("--count", args.count),
                                          ("--bank", args.bank)) if value is not None]
        if given or args.solo:
            raise SessionError(f"--resume serves the session as it was prepared: drop "
                               f"{', '.join(given) or '--solo'}")
        prepared = resume_session(args.resume)
        print(f"session {prepared.session} resumed: {len(prepared.questions)} questions, "
              f"{prepared.candidate}")
    else:
        missing = [flag for flag, value in (("--candidate", args.candidate),
                                            ("--level", args.level)) if not value]
        if missing:
            raise SessionError(f"workbook interview needs {' and '.join(missing)} (or "
                               "--resume SESSION_DIR to serve an earlier session)")
        gradebook = args.gradebook
        if "://" not in gradebook:
            gradebook = str(Path(gradebook).resolve())
        prepared = prepare_session(
            load_bank_from(args), candidate=args.candidate, level=Level(args.level),
            folder=args.out, gradebook=gradebook, bank_dir=args.bank,
            question_ids=args.questions, sections=args.sections, count=args.count,
            minutes=args.minutes, seed=args.seed, solo=args.solo)
        print(f"session {prepared.session}: {len(prepared.questions)} questions, about "
              f"{prepared.minutes} minutes")
    print(f"  folder     {prepared.folder}")
    print(f"  gradebook  {prepared.gradebook}")
    if args.no_lab:
        return 0
    return serve(prepared, ip=args.ip, port=args.port)


class _Stop(Exception):
    """SIGTERM or SIGHUP arrived: stop the servers as Ctrl-C does."""


def _stop_on_signal(signum: int, _frame: object) -> None:
    raise _Stop(signal.Signals(signum).name)


def evidence_recorder(prepared: PreparedSession) -> EvidenceRecorder:
    """The pipe that records what the candidate runs and saves, grading-side."""
    from workbook.live.binding import read_binding
    from workbook.live.evidence import EvidenceRecorder
    from workbook.live.store import LiveScores

    return EvidenceRecorder(LiveScores(read_binding(prepared.interviewer_notebook)),
                            prepared.candidate_notebook)


def serve(prepared: PreparedSession, *, ip: str, port: int) -> int:
    """Serve the session until Ctrl-C (or SIGTERM); the candidate's server sees only their
    notebook. The run folder (connection files, keys, sockets) is deleted on the way out."""
    from workbook.live.servers import RunFolder, check_socket_paths, session_servers

    folder = prepared.folder
    run = RunFolder(folder)
    check_socket_paths(run)
    stopping = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    before = {signum: signal.getsignal(signum) for signum in stopping}
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop_on_signal)
    servers: list[LabServer] = []
    recorder = evidence_recorder(prepared)
    try:
        run.create()
        paired = prepared.candidate_notebook is not None
        session = session_servers(prepared, run=run, ip=ip, candidate_port=port,
                                  interviewer_port=port + (1 if paired else 0),
                                  logs=folder / "logs", evidence=recorder)
        servers = session.all()
        recorder.__enter__()
        for server in servers:
            server.launch()
        recorder.server_started()
        for server in servers:
            server.wait_ready()
        interviewer = session.interviewer
        print("\nOpen in the browser:")
        print(f"  interviewer (scoring panels)   "
              f"{interviewer.url(prepared.interviewer_notebook.name)}")
        if session.candidate is not None and prepared.candidate_notebook is not None:
            print(f"  candidate (share this one)     "
                  f"{session.candidate.url(prepared.candidate_notebook.name)}")
            print("  the interviewer opens the candidate's URL too, to watch and pair")
        print("\nCtrl-C stops the servers; scores are saved as you click.", flush=True)
        interviewer.wait()
        print("error: the interviewer's JupyterLab stopped on its own; see "
              f"{folder / 'logs'}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, _Stop):
        print("\nstopping JupyterLab...", file=sys.stderr, flush=True)
        return 0
    finally:
        # a second signal must not cut the clean-up short
        for signum in stopping:
            signal.signal(signum, signal.SIG_IGN)
        for server in reversed(servers):
            server.stop()
        recorder.__exit__(None, None, None)
        recorder.store.close()
        run.remove()
        print(f"stopped; scores are in {prepared.gradebook} (session {prepared.session}); "
              f"serve it again with --resume {folder}", file=sys.stderr)
        for signum, handler in before.items():
            signal.signal(signum, handler)
