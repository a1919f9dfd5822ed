"""Mutation proof of a question: small, plausible mistakes made to its reference, each
graded against the question's hidden checks and properties in the confined kernel.

operators.py makes the mutants (ast-based: comparison and arithmetic swaps, off-by-one
constants, removed statements, swapped arguments, flipped booleans, changed returns);
proof.py grades them and sorts them into killed, recorded as equivalent, and surviving.
"""
