"""Generated-input checks: a question's properties turned into hidden checks.

A property (docs/question-format.md, `## Generators`) names Hypothesis strategies and a
piece of check code. A fixed set of inputs is taken for it from the question's lock file
(lock.py) or, without a fresh one, drawn in the grader from a seed derived from the
question (draw.py), and the property becomes one ordinary engine Check whose code carries
those inputs and runs the property once per input, each under its own time bound
(checks.py). The engine computes the reference's per-input observations once, in the
confined kernel, as for any hidden check, and judges a candidate's against them in the
grader (grading/judge.py names the input that differs), so no expected value enters a
candidate's kernel while its checks run. The Check also carries the code that shrinks a
differing input in the candidate's kernel afterwards (checks.py, grading/engine.py).
"""
