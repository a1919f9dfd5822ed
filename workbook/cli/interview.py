"""`workbook interview`: prepare a live session and serve it in JupyterLab until Ctrl-C."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbook.cli.common import add_bank_option, comma_list, load_bank_from
from workbook.model import Level
from workbook.selection import DEFAULT_MINUTES

if TYPE_CHECKING:
    from workbook.live.evidence import EvidenceRecorder
    from workbook.live.session import PreparedSession

DEFAULT_GRADEBOOK = Path("out") / "gradebook.sqlite"
DEFAULT_PORT = 8888
#: the interviewer's page exposes JupyterLab's app object, so a panel whose kernel died
#: can offer to restart it and run the panels again
INTERVIEWER_LAB_ARGS = ("--LabApp.expose_app_in_browser=True",)


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "interview", help="run a live interview in JupyterLab with scoring panels",
        description="Prepare a session folder (the candidate's notebook and the interviewer's "
                    "notebook with scoring panels, bound to it) and serve both in JupyterLab "
                    "with real-time collaboration. Ctrl-C stops the servers; every score is "
                    "already in the gradebook.")
    parser.add_argument("--candidate", required=True, metavar="NAME",
                        help="the candidate's name (labels their scores in the gradebook)")
    parser.add_argument("--level", required=True, choices=[lv.value for lv in Level])
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
    from workbook.live.session import prepare_session

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


def evidence_recorder(prepared: PreparedSession) -> EvidenceRecorder:
    """The pipe that records what the candidate runs and saves, grading-side."""
    from workbook.live.binding import read_binding
    from workbook.live.evidence import EvidenceRecorder
    from workbook.live.store import LiveScores

    return EvidenceRecorder(LiveScores(read_binding(prepared.interviewer_notebook)),
                            prepared.candidate_notebook)


def serve(prepared: PreparedSession, *, ip: str, port: int) -> int:
    """Serve the session until Ctrl-C; the candidate's server sees only their notebook."""
    from workbook.live.candidate_kernel import candidate_kernel_args
    from workbook.live.evidence import recorder_server_args
    from workbook.live.lab import LabOptions, LabServer, trust_notebook
    from workbook.live.session import CANDIDATE_FOLDER

    folder = prepared.folder
    trust_notebook(prepared.interviewer_notebook)
    recorder = evidence_recorder(prepared)
    servers = []
    if prepared.candidate_notebook is not None:
        kernel_args = candidate_kernel_args(prepared.candidate_confined)
        servers.append(("candidate", LabServer(LabOptions(
            root=folder / CANDIDATE_FOLDER, ip=ip, port=port, token=secrets.token_urlsafe(18),
            log=folder / "logs" / "candidate-lab.log",
            extra_args=(*kernel_args, *recorder_server_args()),
            env={**os.environ, **recorder.env}, pass_fds=(recorder.fd,)))))
    servers.append(("interviewer", LabServer(LabOptions(
        root=folder, ip=ip, port=port + (1 if servers else 0),
        token=secrets.token_urlsafe(18), log=folder / "logs" / "interviewer-lab.log",
        extra_args=INTERVIEWER_LAB_ARGS))))
    try:
        recorder.__enter__()
        for _role, server in servers:
            server.launch()
        recorder.server_started()
        for _role, server in servers:
            server.wait_ready()
        interviewer = servers[-1][1]
        relative = prepared.interviewer_notebook.relative_to(folder).as_posix()
        print("\nOpen in the browser:")
        print(f"  interviewer (scoring panels)   {interviewer.url(relative)}")
        if prepared.candidate_notebook is not None:
            candidate = servers[0][1]
            print(f"  candidate (share this one)     "
                  f"{candidate.url(prepared.candidate_notebook.name)}")
            print("  the interviewer can open the candidate's URL too, to watch and pair")
        print("\nCtrl-C stops the servers; scores are saved as you click.", flush=True)
        interviewer.wait()
        print("error: the interviewer's JupyterLab stopped on its own; see "
              f"{folder / 'logs'}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping JupyterLab...", file=sys.stderr, flush=True)
        return 0
    finally:
        for _role, server in reversed(servers):
            server.stop()
        recorder.__exit__(None, None, None)
        recorder.store.close()
        print(f"stopped; scores are in {prepared.gradebook} (session {prepared.session})",
              file=sys.stderr)
