"""``MnemoraChatMessageHistory``: one conversation's messages as episodes of its session."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.chat_history import BaseChatMessageHistory
from langchain_core.messages import BaseMessage

from mnemora import MnemoraClient, MnemoraSync
from mnemora_integrations._batches import write_batches
from mnemora_integrations._clients import HoldsClients, MnemoraClients
from mnemora_integrations.langchain.messages import episode_of, messages_of, session_id_of


class MnemoraChatMessageHistory(HoldsClients, BaseChatMessageHistory):
    """The messages of one session of one agent, kept in Mnemora's episodic memory.

    Each message is one episode (role, text and the whole serialised message), appended in
    order in one request per call; old sessions move to cold storage on the server and
    still replay in full. :meth:`clear` deletes this session's episodes only, in both tiers.
    The episodes are ordinary episodic memory: keyword search, summaries, export and the
    customer's erasure include them. :class:`MnemoraMemoryMiddleware` logs agent turns the
    same way, so a history opened on a thread id reads that thread's turns.

    Args:
        session_id: The conversation (any string; ids the server does not accept are
            replaced by a stable digest).
        agent_id: The agent.
        api_key: The customer's key (default: ``MNEMORA_API_KEY``).
        base_url: The server (default: ``MNEMORA_API_URL``).
        client: An SDK client to use instead of ``api_key``/``base_url``.

    Example:
        ```python
        from mnemora_integrations.langchain import MnemoraChatMessageHistory

        history = MnemoraChatMessageHistory(
            session_id="ticket-4711", agent_id="support-agent", api_key=customer_key
        )
        history.add_user_message("My parcel is late")
        history.add_ai_message("Sorry! Let me check the tracking number.")
        print([m.type for m in history.messages])  # ['human', 'ai']
        history.clear()
        ```
    """

    def __init__(
        self,
        *,
        session_id: str,
        agent_id: str,
        api_key: str | None = None,
        base_url: str | None = None,
        client: MnemoraSync | MnemoraClient | None = None,
    ) -> None:
        self.session_id = session_id
        self.agent_id = agent_id
        self._session = session_id_of(session_id)
        self._clients = MnemoraClients(api_key=api_key, base_url=base_url, client=client)

    @property
    def messages(self) -> list[BaseMessage]:  # type: ignore[override]
        """The session's messages, oldest first."""
        episodes = self._clients.sync.get_session_episodes(self.agent_id, self._session)
        return messages_of(episodes)

    async def aget_messages(self) -> list[BaseMessage]:
        """The session's messages, oldest first."""
        episodes = await self._clients.aio.get_session_episodes(self.agent_id, self._session)
        return messages_of(episodes)

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        """Append messages in order (one request per 500)."""
        for part in self._parts(messages):
            self._clients.sync.append_episodes(self.agent_id, self._session, part)

    async def aadd_messages(self, messages: Sequence[BaseMessage]) -> None:
        """Append messages in order (one request per 500)."""
        for part in self._parts(messages):
            await self._clients.aio.append_episodes(self.agent_id, self._session, part)

    def clear(self) -> None:
        """Delete this session's messages (other sessions keep theirs)."""
        self._clients.sync.delete_session_episodes(self.agent_id, self._session)

    async def aclear(self) -> None:
        """Delete this session's messages (other sessions keep theirs)."""
        await self._clients.aio.delete_session_episodes(self.agent_id, self._session)

    @staticmethod
    def _parts(messages: Sequence[BaseMessage]) -> list[list[dict[str, object]]]:
        return write_batches([episode_of(message) for message in messages])
