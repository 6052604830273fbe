"""A growable matrix of vectors kept in blocks, for the in-process vector index.

One array per partition would have to be copied whole to grow: at 100,000 rows of 384
floats that is a 150 MB copy (0.4 s) in the middle of some write. Here the last block is
enlarged by copying only while it is smaller than :data:`BLOCK_ROWS`; beyond that, growing
adds a block, and nothing already stored moves.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

BLOCK_ROWS = 16_384
"""The size up to which the last block grows by copying; larger growth adds blocks."""


class RowBlocks:
    """Rows of ``width`` values of one dtype, addressed by row number (0, 1, ...) across
    blocks.

    Args:
        width: Values per row.
        dtype: Their type.
    """

    def __init__(self, width: int, dtype: npt.DTypeLike) -> None:
        self.width = width
        self.dtype = np.dtype(dtype)
        self.blocks: list[npt.NDArray[Any]] = []
        self._starts: list[int] = []

    @property
    def capacity(self) -> int:
        """Rows there is room for."""
        return self._starts[-1] + len(self.blocks[-1]) if self.blocks else 0

    @property
    def nbytes(self) -> int:
        """Bytes allocated."""
        return sum(block.nbytes for block in self.blocks)

    def grow(self, capacity: int, used: int) -> None:
        """Room for ``capacity`` rows in all, the first ``used`` kept: the last block is
        enlarged (copied) while it is under :data:`BLOCK_ROWS` rows; the rest is a new
        block."""
        missing = capacity - self.capacity
        if missing <= 0:
            return
        if self.blocks and len(self.blocks[-1]) < BLOCK_ROWS:
            last, start = self.blocks[-1], self._starts[-1]
            size = min(BLOCK_ROWS, len(last) + missing)
            bigger = np.zeros((size, self.width), dtype=self.dtype)
            kept = max(0, min(len(last), used - start))
            bigger[:kept] = last[:kept]
            self.blocks[-1] = bigger
            missing -= size - len(last)
        if missing > 0:
            self._starts.append(self.capacity)
            self.blocks.append(np.zeros((missing, self.width), dtype=self.dtype))

    def _locate(self, row: int) -> tuple[int, int]:
        block = int(np.searchsorted(self._starts, row, side="right")) - 1
        return block, row - self._starts[block]

    def __setitem__(self, row: int, values: npt.ArrayLike) -> None:
        block, offset = self._locate(row)
        self.blocks[block][offset] = values

    def pieces(self, rows: int) -> Iterator[tuple[int, npt.NDArray[Any]]]:
        """The first ``rows`` rows as (first row, view) per block, in order."""
        for start, block in zip(self._starts, self.blocks, strict=True):
            if start >= rows:
                return
            yield start, block[: rows - start]

    def take(self, rows: npt.NDArray[np.intp]) -> npt.NDArray[Any]:
        """The given rows, in that order, as one array."""
        if len(self.blocks) == 1:
            return self.blocks[0][rows]
        taken = np.empty((len(rows), self.width), dtype=self.dtype)
        which = np.searchsorted(self._starts, rows, side="right") - 1
        for block in np.unique(which).tolist():
            chosen = which == block
            taken[chosen] = self.blocks[block][rows[chosen] - self._starts[block]]
        return taken
