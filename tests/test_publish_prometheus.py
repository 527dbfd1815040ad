"""Publishing rules (generator/publish/prometheus.py) to the real Prometheus 2.42.

One Prometheus for the module (Debian's package, on a free 127.0.0.1 port, --web.enable-lifecycle,
rule_files = <rules dir>/*.yml); each test starts from an empty rules directory it reloads. The rule
sets are the repo's own out/prometheus/rules (copied, and hand-broken where a test needs a broken set)
and small files whose groups evaluate every second, where a test needs evaluation to happen at once.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bench import lab
from generator.pagetest.httpjson import Unreachable
from generator.publish import prometheus
from generator.publish.report import Failed, Progress
from tests import servers

# every test here runs once per Prometheus major version (tests/toolchains.py)
pytestmark = pytest.mark.usefixtures("toolchain")

REPO = Path(__file__).resolve().parents[1]
PAGE_TEST_FILE = "obsgen-page-test-pt-20250101T000000-abc123.rules.yml"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[lab.Prometheus]:
    work = tmp_path_factory.mktemp("prometheus")
    rules = work / "rules"
    rules.mkdir()
    with servers.prometheus(work, rules, None) as prom:
        prom.rules_dir = rules  # type: ignore[attr-defined]
        yield prom


@pytest.fixture
def rules_dir(server: lab.Prometheus) -> Path:
    """The server's rules directory, emptied and reloaded."""
    rules: Path = server.rules_dir  # type: ignore[attr-defined]
    for p in rules.iterdir():
        p.unlink()
    prometheus.Server(server.url).reload()
    return rules


def repo_rules() -> dict[str, str]:
    return {f"prometheus/rules/{p.name}": p.read_text() for p in sorted((REPO / "out/prometheus/rules").glob("*.yml"))}


def small_rules(**groups: list[tuple[str, str]]) -> str:
    """A rule file whose groups (name -> [(record, expr)]) evaluate every second."""
    return yaml.safe_dump({"groups": [{"name": name, "interval": "1s",
                                       "rules": [{"record": r, "expr": e} for r, e in rules]}
                                      for name, rules in groups.items()]})


def target(server: lab.Prometheus, rules_dir: Path, files: dict[str, str], wait_s: int = 10,
           log: io.StringIO | None = None) -> prometheus.Target:
    return prometheus.Target(server.url, rules_dir, files, wait_s, Progress(log or io.StringIO()))


def publish(t: prometheus.Target) -> tuple[prometheus.Plan, str]:
    plan = t.plan()
    return plan, t.apply(plan) if plan.changed else ""


def loaded(server: lab.Prometheus) -> dict[str, str]:
    """group name -> the file Prometheus loaded it from (base name)."""
    return {g["name"]: Path(g["file"]).name for g in server.api("rules")["groups"]}


def on_disk(rules_dir: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(rules_dir.iterdir())}


def reloads(server: lab.Prometheus) -> float:
    [(_, value)] = server.metrics("prometheus_config_last_reload_success_timestamp_seconds")
    return value


def test_publishing_the_repo_rules_loads_every_group_from_our_files(server: lab.Prometheus, rules_dir: Path) -> None:
    files = repo_rules()
    groups = {g["name"]: f"obsgen-publish-{Path(rel).name}"
              for rel, text in files.items() for g in yaml.safe_load(text)["groups"]}
    plan, result = publish(target(server, rules_dir, files, wait_s=1))
    assert plan.counts() == f"{len(groups)} groups added"
    assert loaded(server) == groups
    assert sorted(on_disk(rules_dir)) == sorted(set(groups.values()))
    # the repo's groups run every 30s, 1m and 5m: a 1 s wait reports them loaded, not yet evaluated
    assert result.startswith(f"{len(groups)} groups loaded from our files, ")
    assert "not evaluated yet within --prometheus-wait" in result
    assert not target(server, rules_dir, files).plan().changed


def test_a_publish_waits_for_the_first_evaluation_and_reports_health_ok(server: lab.Prometheus,
                                                                         rules_dir: Path) -> None:
    files = {"prometheus/rules/shop.rules.yml": small_rules(**{"shop-a": [("shop:a", "vector(1)")],
                                                               "shop-b": [("shop:b", "vector(2)")]})}
    _, result = publish(target(server, rules_dir, files))
    assert result == "2 groups loaded from our files, evaluated, health ok"
    healths = {r["health"] for g in server.api("rules")["groups"] for r in g["rules"]}
    assert healths == {"ok"}


def test_a_broken_rule_set_is_rolled_back_and_the_old_groups_keep_running(server: lab.Prometheus, rules_dir: Path,
                                                                           tmp_path: Path) -> None:
    publish(target(server, rules_dir, repo_rules(), wait_s=1))
    before_files, before_groups = on_disk(rules_dir), loaded(server)
    out = tmp_path / "out"  # a copy of out/ with one rule file broken by hand and one file more
    shutil.copytree(REPO / "out/prometheus/rules", out / "prometheus/rules")
    broken = out / "prometheus/rules/maestro-conductor.rules.yml"
    broken.write_text(broken.read_text().replace("expr: ", "expr: sum(", 1))
    (out / "prometheus/rules/extra.rules.yml").write_text(small_rules(extra=[("extra:x", "vector(1)")]))
    files = {p.relative_to(out).as_posix(): p.read_text() for p in (out / "prometheus/rules").iterdir()}
    log = io.StringIO()
    with pytest.raises(Failed, match=r"Prometheus failed to reload \(HTTP 500\)") as failed:
        publish(target(server, rules_dir, files, wait_s=1, log=log))
    assert failed.value.rollback == "previous files restored and reloaded; the previous groups run"
    assert on_disk(rules_dir) == before_files
    assert loaded(server) == before_groups
    assert "rolled back: restored the previous 1 files of ours" in log.getvalue()


def test_an_evaluation_error_is_rolled_back(server: lab.Prometheus, rules_dir: Path) -> None:
    good = {"prometheus/rules/shop.rules.yml": small_rules(shop=[("shop:a", "vector(1)")])}
    publish(target(server, rules_dir, good))
    before = on_disk(rules_dir)
    many_to_many = ('vector(1) + on() group_left() (label_replace(vector(1), "a", "b", "", "") '
                    'or label_replace(vector(1), "a", "c", "", ""))')
    bad = {"prometheus/rules/shop.rules.yml": small_rules(shop=[("shop:a", many_to_many)])}
    with pytest.raises(Failed, match="cannot evaluate rule shop:a of group shop: found duplicate series") as failed:
        publish(target(server, rules_dir, bad))
    assert failed.value.rollback == "previous files restored and reloaded; the previous groups run"
    assert on_disk(rules_dir) == before


def test_foreign_and_page_test_files_are_never_touched_and_stale_files_of_ours_go(server: lab.Prometheus,
                                                                                  rules_dir: Path) -> None:
    foreign = small_rules(team=[("team:x", "vector(1)")])
    drill = small_rules(**{"obsgen-page-test-pt-20250101T000000-abc123": [("drill:x", "vector(1)")]})
    (rules_dir / "team.rules.yml").write_text(foreign)
    (rules_dir / PAGE_TEST_FILE).write_text(drill)
    (rules_dir / "obsgen-publish-gone.rules.yml").write_text(small_rules(gone=[("gone:x", "vector(1)")]))
    prometheus.Server(server.url).reload()
    files = {"prometheus/rules/shop.rules.yml": small_rules(shop=[("shop:a", "vector(1)")])}
    plan, _ = publish(target(server, rules_dir, files))
    assert plan.lines() == ["- group gone", "+ group shop (1 rules)", "write obsgen-publish-shop.rules.yml",
                            "remove obsgen-publish-gone.rules.yml"]
    assert on_disk(rules_dir) == {"obsgen-publish-shop.rules.yml": files["prometheus/rules/shop.rules.yml"],
                                  PAGE_TEST_FILE: drill, "team.rules.yml": foreign}
    assert loaded(server) == {"shop": "obsgen-publish-shop.rules.yml", "team": "team.rules.yml",
                              "obsgen-page-test-pt-20250101T000000-abc123": PAGE_TEST_FILE}


def test_the_plan_names_groups_added_changed_and_removed(server: lab.Prometheus, rules_dir: Path) -> None:
    old = {"prometheus/rules/shop.rules.yml": small_rules(a=[("x:a", "vector(1)")], b=[("x:b", "vector(1)")])}
    publish(target(server, rules_dir, old))
    new = {"prometheus/rules/shop.rules.yml": small_rules(a=[("x:a", "vector(2)"), ("x:a2", "vector(1)")],
                                                          c=[("x:c", "vector(1)")])}
    plan = target(server, rules_dir, new).plan()
    assert plan.counts() == "1 group added, 1 group changed, 1 group removed"
    assert plan.lines() == ["~ group a: rules added: x:a2; rules changed: x:a", "- group b", "+ group c (1 rules)",
                            "write obsgen-publish-shop.rules.yml"]


def test_our_files_that_prometheus_has_not_loaded_are_reloaded(server: lab.Prometheus, rules_dir: Path) -> None:
    files = {"prometheus/rules/shop.rules.yml": small_rules(shop=[("shop:a", "vector(1)")])}
    (rules_dir / "obsgen-publish-shop.rules.yml").write_text(files["prometheus/rules/shop.rules.yml"])
    before = reloads(server)
    plan, result = publish(target(server, rules_dir, files))
    assert plan.lines() == ["Prometheus has not loaded shop from our unchanged files: reload"]
    assert result == "1 groups loaded from our files, evaluated, health ok"
    assert reloads(server) > before


def test_a_server_whose_last_reload_failed_gets_nothing_written(server: lab.Prometheus, rules_dir: Path) -> None:
    (rules_dir / "team.rules.yml").write_text("groups: [{name: team, rules: [{record: x, expr: 'sum('}]}]\n")
    with pytest.raises(Exception, match="HTTP 500"):
        prometheus.Server(server.url).reload()
    files = {"prometheus/rules/shop.rules.yml": small_rules(shop=[("shop:a", "vector(1)")])}
    with pytest.raises(Failed, match=r"last reload failed already .* Nothing was written"):
        publish(target(server, rules_dir, files))
    assert sorted(on_disk(rules_dir)) == ["team.rules.yml"]


def test_an_unreachable_server_fails_the_plan(rules_dir: Path) -> None:
    t = prometheus.Target(f"http://127.0.0.1:{lab.free_port()}", rules_dir, repo_rules(), 1, Progress(io.StringIO()))
    with pytest.raises(Unreachable, match=r"Prometheus at http://127\.0\.0\.1:[0-9]+ is unreachable"):
        t.plan()


def test_a_server_gone_between_plan_and_apply_gets_nothing_written(server: lab.Prometheus, rules_dir: Path) -> None:
    t = target(server, rules_dir, {"prometheus/rules/shop.rules.yml": small_rules(shop=[("shop:a", "vector(1)")])})
    plan = t.plan()
    t.server = prometheus.Server(f"http://127.0.0.1:{lab.free_port()}")
    with pytest.raises(Unreachable):
        t.apply(plan)
    assert on_disk(rules_dir) == {}
