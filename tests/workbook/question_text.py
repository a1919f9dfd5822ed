"""A valid question file as text, and a way to break one field of it at a time."""

from __future__ import annotations

VALID_CODING = '''+++
id = "add-two"
title = "Add two numbers"
section = "coding-challenges"
level = "junior"
kind = "coding"
points = 3
minutes = 5

[competencies]
fundamentals = 1
+++

## Prompt

Write `add(a, b)` returning the sum.

## Starter

```python
def add(a, b):
    raise NotImplementedError("write add")
```

## Reference

```python
def add(a, b):
    return a + b
```

## Public checks

```python
assert add(1, 2) == 3, "1 + 2 should be 3"
```

## Hidden checks

### negatives (2 points)
Negative numbers add up.

```python
add(-4, -5)
```

### strings (1 point)
Works for any type with +.

```python
add("a", "b")
```

## Decoys

### subtracts
Uses minus instead of plus.

```python
def add(a, b):
    return a - b
```

### ints-only
Converts to int first.

```python
def add(a, b):
    return int(a) + int(b)
```

## Rubric

### Strong signals
- Keeps it simple.

### Red flags
- Overcomplicates it.

### Follow-up probes
- What about floats?

### Scores
- 0: nothing
- 1: tries
- 2: works
- 3: works and explains
- 4: works, explains and tests
'''


def replace(old: str, new: str, text: str = VALID_CODING) -> str:
    assert old in text, f"fixture text has no {old!r}"
    return text.replace(old, new, 1)
