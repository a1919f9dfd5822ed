"""Answers to the shipped bank's ds-merge-intervals, written as different people would."""

ORIGINAL = '''\
def _validate(intervals):
    """Refuse an interval that ends before it starts."""
    for lo, hi in intervals:
        if lo > hi:
            raise ValueError(f"bad interval {lo}..{hi}")


def merge_intervals(intervals):
    _validate(intervals)
    result = []
    for lo, hi in sorted(intervals):
        if not result or lo > result[-1][1]:
            result.append((lo, hi))
        else:
            # extend the last one
            result[-1] = (result[-1][0], max(result[-1][1], hi))
    return result
'''

#: ORIGINAL with every name changed, functions swapped, reformatted, comments rewritten
DISGUISED = '''\
# my own solution, written from scratch
def merge_intervals(bookings):
    # first make sure the input makes sense
    check_all(bookings)
    out = [
    ]
    for begin, finish in sorted(bookings):  # walk in order of start
        if not out or begin > out[-1][1]:
            out.append((begin, finish),)
        else:
            out[-1] = (
                out[-1][0],
                max(out[-1][1], finish),
            )
    return out

def check_all(bookings):
    for begin, finish in bookings:
        if begin > finish:
            raise ValueError('interval ends too early')
'''

#: a second correct answer by someone else: a running interval instead of a list's tail
INDEPENDENT = '''\
def merge_intervals(intervals):
    ordered = sorted(tuple(pair) for pair in intervals)
    if any(start > end for start, end in ordered):
        raise ValueError("an interval ends before it starts")
    merged = []
    current_start = current_end = None
    for start, end in ordered:
        if current_end is not None and start <= current_end:
            current_end = max(current_end, end)
            continue
        if current_end is not None:
            merged.append((current_start, current_end))
        current_start, current_end = start, end
    if current_end is not None:
        merged.append((current_start, current_end))
    return merged
'''

#: a third correct one: a stack of merged intervals, compared while pushing
STACKED = '''\
import operator


def merge_intervals(intervals):
    stack = []
    for item in sorted(intervals, key=operator.itemgetter(0)):
        first, last = item
        if first > last:
            raise ValueError("start after end")
        while stack and stack[-1][1] >= first:
            previous = stack.pop()
            first = min(first, previous[0])
            last = max(last, previous[1])
        stack.append((first, last))
    return stack
'''
