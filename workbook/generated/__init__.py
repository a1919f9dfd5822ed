"""Generated-input checks: a question's properties turned into hidden checks.

A property (docs/question-format.md, `## Generators`) names Hypothesis strategies and a
piece of check code. Here, in the grader and never in a kernel, a fixed set of inputs is
drawn for it from a seed derived from the question (draw.py), and the property becomes
one ordinary engine Check whose code carries those inputs and runs the property once per
input (checks.py). The engine computes the reference's per-input observations once, in
the confined kernel, as for any hidden check, and judges a candidate's against them in
the grader (grading/judge.py names the smallest input that differs), so no expected value
ever enters a candidate's kernel.
"""
