"""Subscribers: the store, immediate alerts through the outbox to a real SMTP server, unsubscribing by token,
and the `subscribers` / `digest` commands. The crawl-and-mail fixtures are the digest tests' own."""

from __future__ import annotations

import argparse
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from tests.notify import test_digest
from tests.notify.test_digest import (
    BASE_URL,
    CRAWLED,
    DUE,
    T0,
    crawl_at,
    parts,
    publish_news,
    stats,
    subscribe,
)
from watcher.app import App
from watcher.cli.subscribers import COMMANDS, add_parsers
from watcher.delivery import DeliveryStats, deliver_due
from watcher.errors import WatcherError
from watcher.notify.email import message_id
from watcher.store import Store

send_due_digests = test_digest.send_due_digests
make_app = test_digest.make_app  # the digest tests' fixtures: an app mailing to aiosmtpd, a news site
site = test_digest.site


def deliver(app: App) -> DeliveryStats:
    return deliver_due(app.store, app.channels(), app.settings, app.clock())


def test_subscribers_are_added_changed_paused_unsubscribed_and_removed(db_url: str) -> None:
    with Store.open(db_url) as store:
        alice, created = store.add_subscriber("Alice@Example.test", now=T0)
        assert created and alice.email == "alice@example.test" and alice.created_at == T0
        assert (alice.digest, alice.immediate, alice.indicators, alice.is_active) == (
            "daily",
            False,
            (),
            True,
        )
        assert re.fullmatch(r"[A-Za-z0-9_-]{32}", alice.token), "random and url-safe"
        later = T0 + timedelta(hours=1)
        changed, created = store.add_subscriber(
            "ALICE@example.test",
            now=later,
            digest="weekly",
            immediate=True,
            subjects=["八镇"],
            kinds=["target_set"],
        )
        assert not created and (changed.id, changed.token, changed.created_at) == (alice.id, alice.token, T0)
        assert (changed.digest, changed.immediate, changed.subjects, changed.kinds) == (
            "weekly",
            True,
            ("八镇",),
            ("target_set",),
        )
        bob, _ = store.add_subscriber("bob@example.test", now=T0, digest="off")
        assert store.set_paused("bob@example.test", True) and not store.set_paused(
            "nobody@example.test", True
        )
        assert [s.email for s in store.subscribers(active=True)] == ["alice@example.test"]
        assert [s.email for s in store.subscribers(digest="off")] == ["bob@example.test"]

        assert not store.unsubscribe("no-such-token") and not store.unsubscribe("")
        assert store.unsubscribe(alice.token, later) and store.unsubscribe(alice.token), (
            "a second click is fine"
        )
        gone = store.subscriber(alice.id)
        assert gone is not None and gone.unsubscribed_at == later and not gone.is_active
        back, created = store.add_subscriber("alice@example.test", now=later + timedelta(days=1))
        assert not created and back.is_active and back.created_at == later + timedelta(days=1), (
            "starts afresh"
        )

        assert store.remove_subscriber("Bob@example.test") and not store.remove_subscriber("bob@example.test")
        assert store.subscriber_by_email("bob@example.test") is None and store.subscriber(bob.id) is None


def test_immediate_alerts_go_to_the_subscribers_who_want_them_once(make_app, site, smtp_server):
    app = make_app(site)
    eve = subscribe(app, "eve@example.test", immediate=True, subjects=["八镇"])
    frank = subscribe(app, "frank@example.test", immediate=True)
    subscribe(app, "gina@example.test")  # digests only
    subscribe(app, "hank@example.test", immediate=True)
    app.store.set_paused("hank@example.test", True)
    publish_news(site)  # two alerts (八镇's target, a project's start) and two digest-only figures
    crawl_at(app, CRAWLED)

    assert deliver(app) == DeliveryStats(sent=5), "ops gets both, frank both, eve the one about 八镇"
    assert deliver(app) == DeliveryStats(), "nothing twice"
    received: dict[str, list] = {}
    for mail in smtp_server.messages:
        received.setdefault(mail["To"], []).append(mail)
    assert {to: len(m) for to, m in received.items()} == {
        "ops@example.test": 2,
        "frank@example.test": 2,
        "eve@example.test": 1,
    }
    (mail,) = received["eve@example.test"]
    assert "八镇 规上工业总产值 2026年目标: 超1600亿元" in mail["Subject"]
    assert mail["List-Unsubscribe"] == f"<{BASE_URL}/unsubscribe?token={eve.token}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "List-Unsubscribe" not in received["ops@example.test"][0], "the team's own alerts have none"
    (target,) = [c for c in app.store.change_rows() if c.kind == "target_set"]
    assert mail["Message-ID"] == message_id(f"{target.key}:subscriber:{eve.id}")
    assert target.deliveries == {
        "email": "sent",
        f"subscriber:{eve.id}": "sent",
        f"subscriber:{frank.id}": "sent",
    }
    assert "到2026年，八镇规上工业总产值超1600亿元" in parts(mail)[0]


def test_unsubscribing_by_token_stops_alerts_and_digests(make_app, site, smtp_server):
    app = make_app(site)
    ivy = subscribe(app, "ivy@example.test", immediate=True)
    subscribe(app, "jack@example.test", immediate=True)
    publish_news(site)
    crawl_at(app, CRAWLED)  # their alerts are in the outbox…
    assert app.store.unsubscribe(ivy.token)  # …when ivy clicks the link in an earlier mail
    assert app.store.set_paused("jack@example.test", True)  # and jack is paused
    assert deliver(app) == DeliveryStats(sent=2, cancelled=4)
    assert {m["To"] for m in smtp_server.messages} == {"ops@example.test"}
    assert send_due_digests(app, DUE) == stats(), "no digest either"
    site.publish(
        "a2", "八镇联动发展目标上调", "2024-09-01", "江门日报", "到2026年，八镇规上工业总产值力争超1800亿元。"
    )
    crawl_at(app, DUE + timedelta(hours=1))
    (raised,) = [c for c in app.store.change_rows() if c.kind == "target_changed"]
    assert raised.deliveries == {"email": "pending"}, "no alert for the unsubscribed or the paused"
    assert send_due_digests(app, DUE + timedelta(days=1)) == stats()
    assert app.store.set_paused("jack@example.test", False)
    assert send_due_digests(app, DUE + timedelta(days=1)) == stats(sent=1), "jack again, ivy never"


# --- commands ---


def run(app: App, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="watcher")
    add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return COMMANDS[args.command](args, app.settings)


def test_subscriber_commands(make_app, site, capsys):
    app = make_app(site)
    assert (
        run(app, "subscribers", "add", "Kim@example.test", "--weekly", "--immediate", "--indicator", "GDP")
        == 0
    )
    out = capsys.readouterr().out
    assert "added kim@example.test: weekly digest, immediate alerts on; filters indicator=GDP" in out
    assert f"unsubscribe: {BASE_URL}/unsubscribe?token=" in out
    assert run(app, "subscribers", "add", "lee@example.test", "--no-digest", "--kind", "target_set") == 0
    assert "added lee@example.test: no digest, immediate alerts off; filters kind=target_set" in (
        capsys.readouterr().out
    )
    assert run(app, "subscribers", "pause", "lee@example.test") == 0
    assert capsys.readouterr().out == "paused lee@example.test\n"
    assert run(app, "subscribers", "list") == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["email", "digest", "immediate", "state", "since", "filters"]
    assert table[1].split()[:4] == ["kim@example.test", "weekly", "yes", "active"]
    assert table[2].split()[:4] == ["lee@example.test", "off", "no", "paused"]
    assert run(app, "subscribers", "pause", "lee@example.test", "--resume") == 0
    assert run(app, "subscribers", "remove", "kim@example.test") == 0
    capsys.readouterr()
    assert run(app, "subscribers", "list", "--format", "jsonl") == 0
    (line,) = capsys.readouterr().out.splitlines()
    row = json.loads(line)
    assert (row["email"], row["state"], row["kinds"], len(row["token"])) == (
        "lee@example.test",
        "active",
        ["target_set"],
        32,
    )
    for argv, message in (
        (("subscribers", "remove", "kim@example.test"), "no subscriber 'kim@example.test'"),
        (("subscribers", "pause", "kim@example.test"), "no subscriber"),
        (("subscribers", "add", "not-an-address"), "not an email address"),
        (("digest", "--preview", "kim@example.test"), "no subscriber"),
    ):
        with pytest.raises(WatcherError, match=message):
            run(app, *argv)
    with pytest.raises(SystemExit):
        run(app, "subscribers", "add", "x@example.test", "--kind", "no_such_kind")
    assert "invalid choice" in capsys.readouterr().err


def test_digest_preview_and_send_commands(make_app, site, smtp_server, capsys):
    app = make_app(site)
    subscribe(app, "mia@example.test")
    urls = publish_news(site)
    crawl_at(app, CRAWLED)
    assert run(app, "digest", "--preview", "mia@example.test") == 0
    path = Path(capsys.readouterr().out.strip())
    assert path.parent == app.settings.storage_path / "previews" and path.suffix == ".html"
    html = path.read_text(encoding="utf-8")
    assert "江门 每日摘要" in html and f'href="{urls["target"]}"' in html and not smtp_server.messages
    assert run(app, "digest", "--send") == 0, "the real clock: today's digest is due, from T0 on"
    assert capsys.readouterr().out.strip() == "digests: 1 sent, 0 empty (not sent), 0 failed"
    assert smtp_server.messages[0]["To"] == "mia@example.test"
    assert run(app, "digest", "--send") == 0 and len(smtp_server.messages) == 1
