"""Project names exactly: where a name starts and ends, and what is no name (the tables in
tests/data/extract/milestones.yaml check names by containment, as the scorer does)."""

from __future__ import annotations

from datetime import date

import pytest

from watcher.models import Article, Milestone

NAMES = [
    ("江门日报讯（记者李明）江门市中医院新院区昨日正式启用。", "江门市中医院新院区"),
    ("江门日报讯（记者 李明 通讯员 王芳）江门市中医院新院区昨日正式启用。", "江门市中医院新院区"),
    ("中新社茂名3月21日电 (梁盛 梁晶晶)茂名烷烃综合利用项目21日动工建设。", "茂名烷烃综合利用项目"),
    ("3月18日，市委书记出席鹤山光电产业园项目开工仪式。", "鹤山光电产业园项目"),
    ("去年宝钢湛江钢铁基地一号高炉正式点火。", "宝钢湛江钢铁基地一号高炉"),
    ("去年底，开平市年产10万吨铝型材项目建成投产。", "开平市年产10万吨铝型材项目"),
    ("总投资20亿元的市重点项目——海信江门智能家电产业园已经全面复工。", "海信江门智能家电产业园"),
    ("6月12日，新会精细化工产业园项目在广州举行签约仪式。", "新会精细化工产业园项目"),
    ("鹤山江门北站改造工程总投资8亿元，于今年1月开工。", "鹤山江门北站改造工程"),
    ("全年推动新会双水电厂等86个重大项目动工建设。", "新会双水电厂"),
    ("鹤山至恩平高速公路（简称“鹤恩高速”）全长98公里。6月30日，鹤恩高速建成通车。", "鹤山至恩平高速公路"),
    ("（二）银湖湾大桥工程：已于3月开工，完成投资2.3亿元。", "银湖湾大桥工程"),
    ("江门新材料产业园项目：一期厂房已全部封顶。", "江门新材料产业园项目"),
]


@pytest.mark.parametrize(("text", "name"), NAMES, ids=[n for _, n in NAMES])
def test_name_exactly(extractor, text, name):
    facts = extractor.extract(Article(url="case", text=text, published=date(2024, 6, 30)), "江门")
    names = {f.project for f in facts if isinstance(f, Milestone)}
    assert names == {name}
