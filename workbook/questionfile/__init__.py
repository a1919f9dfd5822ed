"""Read one question file: Markdown with TOML front matter.

The layout (see docs/question-format.md) is

    +++                      TOML: id, title, section, level, kind, points, minutes,
    ...                      timeout, [competencies]
    +++
    ## Prompt                Markdown shown to the candidate
    ## Starter               one python block (coding)
    ## Reference             one python block (coding)
    ## Public checks         one python block of asserts the candidate can run (coding)
    ## Check setup           optional python block run before each hidden check
    ## Hidden checks         ### name (N points), a sentence, one python block each
    ## Decoys                ### name, a one-line note, one python block each
    ## Generators            optional: a python block binding Hypothesis strategies to
                             names, then ### name (N points), a sentence, one python block
                             per property (generated-input checks)
    ## Accepted alternatives optional: ### name, a one-line note, one python block each
    ## Rules                 optional: ### name, the rule as the prompt states it, and a
                             "Checks: a, b" line naming the checks that test it
    ## Equivalent mutants    optional: ### mutant-id, why no answer can tell it apart
    ## Rubric                ### Strong signals / Red flags / Follow-up probes (lists),
                             ### Scores (list of "0: ..." .. "4: ...")

Every error names the file, the line and the field.
"""

from __future__ import annotations

from .parse import parse_question, read_question

__all__ = ["parse_question", "read_question"]
