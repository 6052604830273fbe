"""The hybrid search's fusion: the answer only the keyword leg finds, the one only the vector
leg finds, and the one both find each come first; a conversation's answer comes with the turn
that matched the question (context); pinned on the fusion itself and through the API on both
configurations (real embeddings). Numbers are not pinned: BENCHMARKS.md has them."""

from __future__ import annotations

from typing import Any

import pytest

from mnemora_server.services.fusion import CONTEXT_WINDOW_SECONDS, fuse, with_context
from mnemora_server.stores.base import SemanticHit, SemanticRecord
from mnemora_server.stores.base.keywords import query_terms
from tests.conftest import Api


def _record(text: str, created_at: float = 0.0) -> SemanticRecord:
    return SemanticRecord(
        id=text[:12],
        agent_id="bot",
        namespace="default",
        content=text,
        metadata={},
        created_at=created_at,
        updated_at=created_at,
    )


def _hit(
    text: str, *, similarity: float | None = None, keyword: float | None = None
) -> SemanticHit:
    return SemanticHit(_record(text), similarity, keyword_score=keyword)


REFUNDS = "Refunds are paid back to the original card within five business days."
ORDER = "Order 8841-QX shipped from the Rotterdam warehouse on Tuesday."
OFFICE = "Our office is closed on public holidays; the long weekend schedule is on the portal."
PASSWORD = "Passwords can be reset from the account settings page."
PLANS = "Plans can be upgraded or downgraded at the end of each billing month."


def test_an_answer_only_the_keyword_leg_finds_comes_first() -> None:
    query = "where did order 8841-QX ship from"
    vectors = [
        _hit(PLANS, similarity=0.41),
        _hit(REFUNDS, similarity=0.39),
        _hit(OFFICE, similarity=0.35),
    ]
    keywords = [_hit(ORDER, keyword=9.2), _hit(PLANS, keyword=1.1)]
    ranked = fuse(vectors, keywords, 3, terms=query_terms(query))
    assert ranked[0].record.content == ORDER
    assert ranked[0].matched == ("keyword",)


def test_an_answer_only_the_vector_leg_finds_comes_first() -> None:
    query = "how long until I get my money returned"
    vectors = [_hit(REFUNDS, similarity=0.58), _hit(PLANS, similarity=0.30)]
    # One common word of the question ("long") in an unrelated memory: a strong BM25 match
    # for that word alone, covering a quarter of the query.
    keywords = [_hit(OFFICE, keyword=4.0)]
    ranked = fuse(vectors, keywords, 3, terms=query_terms(query))
    assert ranked[0].record.content == REFUNDS
    assert ranked[0].matched == ("vector",)
    assert [h.record.content for h in ranked] == [REFUNDS, OFFICE, PLANS]


def test_an_answer_both_legs_find_comes_first_though_neither_ranks_it_first() -> None:
    query = "reset a forgotten password"
    vectors = [
        _hit(PLANS, similarity=0.47),
        _hit(PASSWORD, similarity=0.46),
        _hit(OFFICE, similarity=0.2),
    ]
    keywords = [_hit(OFFICE, keyword=3.0), _hit(PASSWORD, keyword=2.9), _hit(REFUNDS, keyword=0.5)]
    ranked = fuse(vectors, keywords, 3, terms=query_terms(query))
    assert ranked[0].record.content == PASSWORD
    assert ranked[0].matched == ("vector", "keyword")


def test_one_leg_alone_keeps_its_order_and_scores() -> None:
    vectors = [_hit(PLANS, similarity=0.5), _hit(REFUNDS, similarity=0.4)]
    assert [(h.record.content, h.score) for h in fuse(vectors, [], 5)] == [
        (PLANS, 0.5),
        (REFUNDS, 0.4),
    ]
    keywords = [_hit(ORDER, keyword=3.0)]
    assert [(h.record.content, h.score) for h in fuse([], keywords, 5)] == [(ORDER, 3.0)]


QUESTION = "Maria: Tom, which city did you move to last spring?"
ANSWER = "Tom: Lisbon. We found a flat close to the river."


def test_the_turn_after_a_hit_comes_with_it_as_context() -> None:
    ranked = fuse([_hit(QUESTION, similarity=0.7), _hit(PLANS, similarity=0.5)], [], 2)
    answer = _record(ANSWER)
    found = with_context(ranked, {QUESTION[:12]: [answer]}, 2)
    assert [(h.record.content, h.matched) for h in found] == [
        (QUESTION, ("vector",)),
        (PLANS, ("vector",)),
        (ANSWER, ("context",)),
    ]
    assert found[2].score == pytest.approx(0.3 * 0.7)
    # A hit that is also a neighbour gains on top of its own score, and may overtake.
    ranked = fuse([_hit(QUESTION, similarity=0.7), _hit(PLANS, similarity=0.6)], [], 2)
    boosted = with_context(ranked, {QUESTION[:12]: [_record(PLANS)]}, 2)
    assert [(h.record.content, h.matched) for h in boosted] == [
        (PLANS, ("vector", "context")),
        (QUESTION, ("vector",)),
    ]


def test_neighbours_written_long_apart_are_no_context() -> None:
    ranked = fuse([_hit(QUESTION, similarity=0.7)], [], 1)
    later = _record(ANSWER, created_at=CONTEXT_WINDOW_SECONDS + 1)
    assert with_context(ranked, {QUESTION[:12]: [later]}, 1) == ranked


def test_a_conversation_answer_comes_with_its_question(api: Api) -> None:
    """The answer shares no word and little meaning with the question asked of it; the turn
    before it does, and brings it along."""
    key = api.tenant("chat")
    turns = [
        "Tom: I love visiting a new city in spring.",
        "Tom: Moving house is always stressful.",
        PLANS,
        QUESTION,
        ANSWER,
        OFFICE,
    ]
    written = api.call(
        key,
        "POST",
        "/v1/memory/semantic/batch",
        json={"agent_id": "bot", "items": [{"content": t, "dedup": False} for t in turns]},
    )
    assert written.status_code == 201, written.text
    query = "which city did Tom move to last spring"
    by_vector = [hit["content"] for hit in _search(api, key, query, "vector", top_k=3)]
    assert ANSWER not in by_vector
    hybrid = {hit["content"]: hit for hit in _search(api, key, query, "hybrid", top_k=3)}
    assert next(iter(hybrid)) == QUESTION
    assert ANSWER in hybrid
    assert "context" in hybrid[ANSWER]["matched"]


@pytest.fixture
def knowledge(api: Api) -> str:
    key = api.tenant("acme")
    for text in (REFUNDS, ORDER, OFFICE, PASSWORD, PLANS):
        stored = api.call(
            key, "POST", "/v1/memory/semantic", json={"agent_id": "bot", "content": text}
        )
        assert stored.status_code == 201, stored.text
    return key


def _search(api: Api, key: str, query: str, mode: str, top_k: int = 10) -> list[dict[str, Any]]:
    answer = api.call(
        key,
        "POST",
        "/v1/memory/semantic/search",
        json={"query": query, "agent_id": "bot", "mode": mode, "top_k": top_k},
    )
    assert answer.status_code == 200, answer.text
    return list(answer.json["data"]["results"])


@pytest.mark.parametrize(
    ("query", "answer"),
    [
        ("8841-QX", ORDER),  # a code: the keyword leg's
        ("how long until I get my money returned", REFUNDS),  # a paraphrase: the vector leg's
        ("reset a forgotten password", PASSWORD),  # both
    ],
)
def test_hybrid_search_puts_the_answer_first(
    api: Api, knowledge: str, query: str, answer: str
) -> None:
    assert _search(api, knowledge, query, "hybrid")[0]["content"] == answer


def test_the_paraphrase_is_one_the_keyword_leg_gets_wrong(api: Api, knowledge: str) -> None:
    """What makes the paraphrase above a vector-only case on this data."""
    by_keyword = _search(api, knowledge, "how long until I get my money returned", "keyword")
    assert [hit["content"] for hit in by_keyword] == [OFFICE]
