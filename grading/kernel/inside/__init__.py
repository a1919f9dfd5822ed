"""Code that runs INSIDE the sandbox, next to candidate code.

These modules use only the standard library and ipykernel, and never import `grading`:
the sandbox shows them (bound read-only as /opt/workbook) but not the repository. Nothing
here is trusted to judge anything; verdicts are made in the grader process.
"""
