"""Similarity between answers: which candidates' answers (or which public sources) look alike.

normalise.py    source -> tokens that survive renaming, reformatting, reordering, comments
fingerprint.py  tokens -> winnowed k-gram hashes, each remembering the lines it covers
sources.py      what every answer of a question shares (subtracted) and the known sources
compare.py      a question's answers -> similar pairs and clusters
index.py        many distinct answers -> the pairs that can be similar, through their hashes
findings.py     where a run keeps answers, pairs and clusters: a temporary SQLite database
cohort.py       the whole gradebook -> a `SimilarityReport`
page.py         similarity.html / .json / .csv, and the cohort page's section
cache.py        what a rerun keeps: fingerprints by answer, the last files' inputs
stage.py        the report stage's step: settings, cache, files, section

The result says which answers are *similar* and where; what that means is for a person to
decide, so no wording here goes further than "similar".
"""
