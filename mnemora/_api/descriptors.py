"""Descriptors that turn one plan into a sync method and an async method.

Each API method is a plan (see :mod:`mnemora._core`). :class:`api_method` turns it into a plain
method on :class:`~mnemora.MnemoraSync` and a coroutine method on :class:`~mnemora.MnemoraClient`,
with the same name, signature and docstring; :class:`api_pages` does the same for a page plan,
giving an iterator over every item.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from mnemora._core import Plan
from mnemora._transport import AsyncTransport, SyncTransport

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
Page = tuple[list[T], str | None]


class api_method(Generic[P, R]):
    """Descriptor binding one plan to a sync or an async client."""

    def __init__(self, plan: Callable[Concatenate[Any, P], Plan[R]]) -> None:
        self._plan = plan
        functools.update_wrapper(self, plan)  # type: ignore[arg-type]
        signature = inspect.signature(plan)
        # What callers see: the plan's parameters without ``self``.
        returns = signature.return_annotation
        if isinstance(returns, str) and returns.startswith("Plan[") and returns.endswith("]"):
            returns = returns[5:-1]
        self._signature = signature.replace(
            parameters=list(signature.parameters.values())[1:], return_annotation=returns
        )

    @overload
    def __get__(self, obj: None, owner: type) -> api_method[P, R]: ...

    @overload
    def __get__(self, obj: SyncTransport, owner: type) -> Callable[P, R]: ...

    @overload
    def __get__(self, obj: AsyncTransport, owner: type) -> Callable[P, Coroutine[Any, Any, R]]: ...

    def __get__(self, obj: object, owner: type) -> Any:
        if obj is None:
            return self
        plan = self._plan
        if isinstance(obj, AsyncTransport):
            transport_async = obj

            async def run_async(*args: P.args, **kwargs: P.kwargs) -> R:
                return await transport_async._run_async(plan(transport_async, *args, **kwargs))

            return self._finish(run_async)
        assert isinstance(obj, SyncTransport)
        transport = obj

        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            return transport._run(plan(transport, *args, **kwargs))

        return self._finish(run)

    def _finish(self, bound: Callable[..., Any]) -> Callable[..., Any]:
        functools.update_wrapper(bound, self._plan)
        del bound.__wrapped__  # type: ignore[attr-defined]
        bound.__signature__ = self._signature  # type: ignore[attr-defined]
        return bound


class api_pages(Generic[T]):
    """Descriptor turning a one-page plan into an iterator over every item of every page.

    The plan takes ``cursor`` and returns ``(items, next_cursor)``. Bound to
    :class:`~mnemora.MnemoraSync` it is a generator; bound to :class:`~mnemora.MnemoraClient`
    an async generator. Pages are fetched as the iteration reaches them.
    """

    def __init__(self, page: Callable[..., Plan[Page[T]]]) -> None:
        self._page = page
        functools.update_wrapper(self, page)  # type: ignore[arg-type]
        signature = inspect.signature(page)
        params = [p for name, p in signature.parameters.items() if name not in ("self", "cursor")]
        self._signature = signature.replace(
            parameters=params, return_annotation=inspect.Signature.empty
        )

    @overload
    def __get__(self, obj: None, owner: type) -> api_pages[T]: ...

    @overload
    def __get__(self, obj: SyncTransport, owner: type) -> Callable[..., Iterator[T]]: ...

    @overload
    def __get__(self, obj: AsyncTransport, owner: type) -> Callable[..., AsyncIterator[T]]: ...

    def __get__(self, obj: object, owner: type) -> Any:
        if obj is None:
            return self
        page = self._page
        if isinstance(obj, AsyncTransport):
            transport_async = obj

            async def iterate_async(*args: Any, **kwargs: Any) -> AsyncIterator[T]:
                cursor: str | None = None
                while True:
                    items, cursor = await transport_async._run_async(
                        page(transport_async, *args, cursor=cursor, **kwargs)
                    )
                    for item in items:
                        yield item
                    if not cursor:
                        return

            return self._finish(iterate_async)
        assert isinstance(obj, SyncTransport)
        transport = obj

        def iterate(*args: Any, **kwargs: Any) -> Iterator[T]:
            cursor: str | None = None
            while True:
                items, cursor = transport._run(page(transport, *args, cursor=cursor, **kwargs))
                yield from items
                if not cursor:
                    return

        return self._finish(iterate)

    def _finish(self, bound: Callable[..., Any]) -> Callable[..., Any]:
        functools.update_wrapper(bound, self._page)
        del bound.__wrapped__  # type: ignore[attr-defined]
        bound.__signature__ = self._signature  # type: ignore[attr-defined]
        return bound
