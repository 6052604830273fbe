"""The only code that differs between the sync and async clients: send, sleep, close."""

from __future__ import annotations

import asyncio
import time
from typing import Self, TypeVar

import httpx

from mnemora._core import ClientConfig, Download, LineCounter, Outcome, Plan, Sleep, execute

R = TypeVar("R")


class SyncTransport:
    """Runs plans with a blocking ``httpx.Client`` (works inside a running event loop too)."""

    def __init__(self, config: ClientConfig, http_client: httpx.Client | None = None) -> None:
        self._config = config
        self.base_url = config.base_url
        self.max_retries = config.max_retries
        self._http = http_client or httpx.Client(
            base_url=config.base_url,
            headers=config.default_headers(),
            timeout=config.timeout,
        )
        if http_client is not None:
            self._http.headers.update(config.default_headers())

    def _run(self, plan: Plan[R]) -> R:
        """Perform the steps of ``plan`` and return its result."""
        steps = execute(self._config, self._http, plan)
        outcome: Outcome = None
        while True:
            try:
                step = steps.send(outcome)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            if isinstance(step, Sleep):
                time.sleep(step.seconds)
                outcome = None
                continue
            try:
                if isinstance(step, Download):
                    outcome = self._download(step)
                else:
                    outcome = self._http.send(step.request)
            except httpx.TransportError as exc:
                outcome = exc

    def _download(self, step: Download) -> httpx.Response:
        response = self._http.send(step.request, stream=True)
        try:
            if response.status_code >= 400:
                response.read()
                return response
            counter = LineCounter(step.path)
            with open(step.path, "wb") as handle:
                for chunk in response.iter_bytes():
                    handle.write(chunk)
                    counter.feed(chunk)
            response.extensions = {**response.extensions, "mnemora_lines": counter.lines}
            return response
        finally:
            response.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncTransport:
    """Runs plans with an ``httpx.AsyncClient``."""

    def __init__(self, config: ClientConfig, http_client: httpx.AsyncClient | None = None) -> None:
        self._config = config
        self.base_url = config.base_url
        self.max_retries = config.max_retries
        self._http = http_client or httpx.AsyncClient(
            base_url=config.base_url,
            headers=config.default_headers(),
            timeout=config.timeout,
        )
        if http_client is not None:
            self._http.headers.update(config.default_headers())

    async def _run_async(self, plan: Plan[R]) -> R:
        """Perform the steps of ``plan`` and return its result."""
        steps = execute(self._config, self._http, plan)
        outcome: Outcome = None
        while True:
            try:
                step = steps.send(outcome)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            if isinstance(step, Sleep):
                await asyncio.sleep(step.seconds)
                outcome = None
                continue
            try:
                if isinstance(step, Download):
                    outcome = await self._download(step)
                else:
                    outcome = await self._http.send(step.request)
            except httpx.TransportError as exc:
                outcome = exc

    async def _download(self, step: Download) -> httpx.Response:
        response = await self._http.send(step.request, stream=True)
        try:
            if response.status_code >= 400:
                await response.aread()
                return response
            counter = LineCounter(step.path)
            with open(step.path, "wb") as handle:
                async for chunk in response.aiter_bytes():
                    handle.write(chunk)
                    counter.feed(chunk)
            response.extensions = {**response.extensions, "mnemora_lines": counter.lines}
            return response
        finally:
            await response.aclose()

    async def close(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
