"""Each kind of bad message ends in landing.dead_letter with its reason; good ones around land."""

from __future__ import annotations

import asyncio

from tests.integration import ingest_support as support


def test_bad_corpus_dead_lettered_good_neighbours_land(landing_dsn, tmp_path):
    site = support.unique_site()
    base = support.now_ms()
    # Only topics under this test's subscription (fab/v2/... is not ours to receive).
    corpus = [c for c in support.bad_corpus(site, base) if c[1].startswith(f"fab/v1/{site}/")]
    assert len({kind for kind, _t, _p in corpus}) >= 40
    name = ""

    async def scenario() -> None:
        nonlocal name
        async with support.running(
            support.make_ingestor(landing_dsn, tmp_path / "spool", site)
        ) as ing:
            name = ing.name
            async with support.publisher() as pub:
                for i, (_kind, topic, payload) in enumerate(corpus):
                    before = support.telemetry_message(site, "ETCH-01", 2 * i, base + 2 * i)
                    after = support.telemetry_message(site, "ETCH-01", 2 * i + 1, base + 2 * i + 1)
                    await pub.publish(*before, qos=1)
                    await pub.publish(topic, payload, qos=1)
                    await pub.publish(*after, qos=1)
            await support.until(
                lambda: ing.pipeline.stats.messages_total == 3 * len(corpus),
                what="all messages handled",
            )

    asyncio.run(scenario())
    assert support.scalar(landing_dsn, "SELECT count(*) FROM landing.sensor_reading") == 2 * len(
        corpus
    )
    import psycopg

    with psycopg.connect(landing_dsn) as conn:
        rows = conn.execute(
            "SELECT topic, split_part(error, ':', 1), payload FROM landing.dead_letter ORDER BY id"
        ).fetchall()
    assert len(rows) == len(corpus)
    assert [(t, k) for t, k, _p in rows] == [(t, k) for k, t, _p in corpus]
    assert all(r[2] is not None for r in rows)
    # the status counts what the tables hold (before: dead letters were counted per batch
    # handed to the sink, and rows replayed from the spool never)
    with psycopg.connect(landing_dsn) as conn:
        counted = conn.execute(
            "SELECT rows_total, dead_letters_total FROM landing.ingest_status WHERE ingestor = %s",
            (name,),
        ).fetchone()
    assert counted == (2 * len(corpus), len(corpus))
