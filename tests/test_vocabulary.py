"""The change kinds are written once (models.ChangeKind); every other list of them derives from it."""

from __future__ import annotations

import typing

import pytest

from watcher.config import IMMEDIATE_KINDS, AlertSettings
from watcher.models import CHANGE_KINDS, HEALTH_KINDS, ChangeKind
from watcher.wording import KIND_ZH, kind_zh


def test_every_kind_has_a_chinese_name_and_no_list_names_an_unknown_one() -> None:
    assert typing.get_args(ChangeKind) == CHANGE_KINDS
    assert set(KIND_ZH) == set(CHANGE_KINDS)
    assert set(IMMEDIATE_KINDS) <= set(CHANGE_KINDS) and set(HEALTH_KINDS) <= set(CHANGE_KINDS)
    assert kind_zh("target_changed") == "目标调整" and kind_zh("something_new") == "something_new"


def test_alert_settings_refuse_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown change kind 'target_moved'"):
        AlertSettings(immediate=["target_set", "target_moved"])
