"""Replays of libstdc++'s ``std::priority_queue`` and ``std::sort``, whose order of ties kernels inherit.

TensorFlow's CPU kernels are C++ built against libstdc++. Where a kernel orders equal keys with an
unstable algorithm (a heap, or introsort), the order of ties is whatever those algorithms produce, and
a faithful kernel must reproduce it. These functions follow ``bits/stl_heap.h`` and ``bits/stl_algo.h``
step by step (heap sift-down/up, median-of-three pivot, unguarded partition, insertion sort below 16
elements) on a list of indices. They are pure Python and meant for the small inputs where ties occur.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

Less = Callable[[int, int], bool]
_THRESHOLD = 16


def _push_heap(a: list, hole: int, top: int, value: int, less: Less) -> None:
    parent = (hole - 1) // 2
    while hole > top and less(a[parent], value):
        a[hole] = a[parent]
        hole = parent
        parent = (hole - 1) // 2
    a[hole] = value


def _adjust_heap(a: list, first: int, hole: int, length: int, value: int, less: Less) -> None:
    top = hole
    child = hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if less(a[first + child], a[first + child - 1]):
            child -= 1
        a[first + hole] = a[first + child]
        hole = child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        a[first + hole] = a[first + child - 1]
        hole = child - 1
    view = _Offset(a, first)
    _push_heap(view, hole, top, value, less)


class _Offset:
    """``a[first:]`` as a writable window (libstdc++ passes iterators, not slices)."""

    def __init__(self, a: list, first: int) -> None:
        self.a, self.first = a, first

    def __getitem__(self, i: int) -> int:
        return self.a[self.first + i]

    def __setitem__(self, i: int, value: int) -> None:
        self.a[self.first + i] = value


def _pop_heap(a: list, first: int, last: int, result: int, less: Less) -> None:
    value = a[result]
    a[result] = a[first]
    _adjust_heap(a, first, 0, last - first, value, less)


def priority_queue_order(values: Sequence[float]) -> list[int]:
    """Order in which ``std::priority_queue`` (max-heap on ``values``) pops indices pushed 0..n-1."""
    def less(i: int, j: int) -> bool:
        return values[i] < values[j]

    heap: list[int] = []
    for i in range(len(values)):
        heap.append(i)
        _push_heap(heap, len(heap) - 1, 0, i, less)
    order = []
    while heap:
        order.append(heap[0])
        if len(heap) > 1:
            _pop_heap(heap, 0, len(heap) - 1, len(heap) - 1, less)
        heap.pop()
    return order


def _make_heap(a: list, first: int, last: int, less: Less) -> None:
    length = last - first
    if length < 2:
        return
    parent = (length - 2) // 2
    while True:
        _adjust_heap(a, first, parent, length, a[first + parent], less)
        if parent == 0:
            return
        parent -= 1


def _heap_sort(a: list, first: int, last: int, less: Less) -> None:
    _make_heap(a, first, last, less)
    while last - first > 1:
        last -= 1
        _pop_heap(a, first, last, last, less)


def _move_median_to_first(a: list, result: int, x: int, y: int, z: int, less: Less) -> None:
    if less(a[x], a[y]):
        pick = y if less(a[y], a[z]) else (z if less(a[x], a[z]) else x)
    elif less(a[x], a[z]):
        pick = x
    else:
        pick = z if less(a[y], a[z]) else y
    a[result], a[pick] = a[pick], a[result]


def _unguarded_partition(a: list, first: int, last: int, pivot: int, less: Less) -> int:
    while True:
        while less(a[first], a[pivot]):
            first += 1
        last -= 1
        while less(a[pivot], a[last]):
            last -= 1
        if not first < last:
            return first
        a[first], a[last] = a[last], a[first]
        first += 1


def _introsort_loop(a: list, first: int, last: int, depth: int, less: Less) -> None:
    while last - first > _THRESHOLD:
        if depth == 0:
            _heap_sort(a, first, last, less)
            return
        depth -= 1
        mid = first + (last - first) // 2
        _move_median_to_first(a, first, first + 1, mid, last - 1, less)
        cut = _unguarded_partition(a, first + 1, last, first, less)
        _introsort_loop(a, cut, last, depth, less)
        last = cut


def _linear_insert(a: list, last: int, less: Less) -> None:
    value = a[last]
    prev = last - 1
    while less(value, a[prev]):
        a[last] = a[prev]
        last = prev
        prev -= 1
    a[last] = value


def _insertion_sort(a: list, first: int, last: int, less: Less) -> None:
    for i in range(first + 1, last):
        if less(a[i], a[first]):
            value = a[i]
            a[first + 1:i + 1] = a[first:i]
            a[first] = value
        else:
            _linear_insert(a, i, less)


def sort_order(keys: Sequence[float], descending: bool = False) -> list[int]:
    """Index order ``std::sort`` leaves for ``keys`` (comparator ``<``, or ``>`` if descending)."""
    def less(i: int, j: int) -> bool:
        return keys[j] < keys[i] if descending else keys[i] < keys[j]

    a = list(range(len(keys)))
    n = len(a)
    if n == 0:
        return a
    _introsort_loop(a, 0, n, 2 * (n.bit_length() - 1), less)
    if n > _THRESHOLD:
        _insertion_sort(a, 0, _THRESHOLD, less)
        for i in range(_THRESHOLD, n):
            _linear_insert(a, i, less)
    else:
        _insertion_sort(a, 0, n, less)
    return a
