"""`obsgen preview`: the HTML page of a dashboard's layout, checked as HTML and in headless Chromium.

The page is for a reviewer's eyes, so the decisive checks are in a real browser: it paints
something (not a blank page), every panel title is in the rendered DOM as text (hostile titles
do not become markup), and each panel sits where its gridPos puts it on Grafana's grid.
"""

from __future__ import annotations

import copy
import io
import json
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from generator import build, cli, declarations, preview
from tests import webdriver

pytestmark = pytest.mark.live  # it drives headless Chromium

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "preview" / "dashboard.json"
HOSTILE_TITLE = "<script>document.title='pwned'</script>\"}"
HOSTILE_QUERY = 'up{job="</pre><script>alert(2)</script>"} > 0 & "}'
PAGE_BACKGROUND = (0xF4, 0xF5, 0xF5)
PANEL_BACKGROUND = (0xFF, 0xFF, 0xFF)


def fixture_board() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def all_titles(board: dict[str, Any]) -> list[str]:
    """Every panel's title, rows' and collapsed rows' panels included: read from the JSON, not the layout."""
    titles = []
    for panel in board.get("panels") or []:
        titles.append(panel.get("title", ""))
        titles.extend(child.get("title", "") for child in panel.get("panels") or [])
    return titles


class _Page(HTMLParser):
    """Tags seen, and the text inside elements of a given class (what a reader sees there)."""

    def __init__(self, css_class: str) -> None:
        super().__init__(convert_charrefs=True)
        self.css_class, self.tags, self.texts = css_class, [], []
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if self._depth:
            self._depth += 1
        elif self.css_class in (dict(attrs).get("class") or "").split():
            self._depth = 1
            self.texts.append("")

    def handle_endtag(self, tag: str) -> None:
        if self._depth:
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._depth:
            self.texts[-1] += data


def parse(html: str, css_class: str) -> _Page:
    page = _Page(css_class)
    page.feed(html)
    page.close()
    return page


# --- the page as HTML ---------------------------------------------------------------------------


def test_layout_expands_collapsed_rows_the_way_grafana_does() -> None:
    """The collapsed row's panels (stored at y=20) go right below it; everything after moves down by 6."""
    boxes = [(b.title, b.type, b.x, b.y, b.w, b.h) for b in preview.layout(fixture_board()).boxes]
    assert boxes == [
        ("Traffic", "row", 0, 0, 24, 1),
        ("Current phase", "stat", 0, 1, 6, 4),
        ("5xx ratio, canary vs stable", "timeseries", 6, 1, 18, 8),
        (HOSTILE_TITLE, "gauge", 0, 5, 6, 4),
        ("Replicas", "row", 0, 9, 24, 1),
        ("Replicas available", "timeseries", 0, 10, 12, 6),
        ("Replicas unavailable", "timeseries", 12, 10, 12, 6),
        ("Budget", "row", 0, 16, 24, 1),
        ("Error budget remaining", "bargauge", 0, 17, 24, 5),
    ]


def test_panels_are_placed_on_the_24_column_grid_by_grid_pos() -> None:
    page = parse(preview.render(fixture_board()), "box")
    styles = {a["data-grid"]: a["style"] for tag, a in page.tags if tag == "section"}
    # h units are 30 px cells with 8 px gaps: h=8 is 8*30 + 7*8 = 296 px; y=1 starts at 38 px
    assert styles["6,1,18,8"] == ("left: calc(6 * 100% / 24); top: 38px; width: calc(18 * 100% / 24 - 8px); "
                                  "height: 296px")
    assert styles["12,10,12,6"].startswith("left: calc(12 * 100% / 24); top: 380px;")
    assert len(styles) == 9


def test_titles_units_and_queries_are_text_not_markup() -> None:
    html = preview.render(fixture_board())
    assert [t for t, _ in parse(html, "title").tags if t in ("script", "img", "h1")] == ["h1"]  # the page's own
    assert HOSTILE_TITLE in parse(html, "title").texts
    assert any(HOSTILE_QUERY in text for text in parse(html, "query").texts)
    assert "<img src=x onerror=alert(1)>" in parse(html, "unit").texts
    assert "</section><h1>not a heading</h1>" in parse(html, "description").texts
    assert "<script" not in html and "</pre><script" not in html


def test_every_panel_shows_type_unit_and_each_query_with_its_ref_id() -> None:
    html = preview.render(fixture_board())
    queries = parse(html, "query").texts
    assert "B vector(0.001)\nlegend: budget" in queries
    assert sum("rate(http_server_requests_total" in q for q in queries) == 1
    kinds = parse(html, "kind").texts
    assert kinds.count("timeseries") == 3 and "bargauge" in kinds and "percentunit" in kinds
    assert "collapsed in Grafana" in kinds


def test_page_is_self_contained() -> None:
    """Reviewers open it from disk or a CI artifact, maybe offline: nothing may be fetched."""
    page = parse(preview.render(fixture_board()), "box")
    fetching = [(t, a) for t, a in page.tags
                if t in ("script", "link", "img", "iframe", "object", "embed") or "src" in a or "href" in a]
    assert fetching == []


def test_a_grid_pos_that_is_not_a_number_is_refused_not_written_into_css() -> None:
    board = fixture_board()
    board["panels"][1]["gridPos"]["x"] = "0); background: url(https://example.com/x"
    with pytest.raises(ValueError):
        preview.render(board)


def test_missing_grid_pos_gets_grafanas_default_size() -> None:
    board = {"title": "t", "uid": "u", "panels": [{"type": "text", "title": "no position"}]}
    (box,) = preview.layout(board).boxes
    assert (box.x, box.y, box.w, box.h) == (0, 0, 12, 8)


# --- the command --------------------------------------------------------------------------------


@pytest.fixture
def repo_with_fixture_board(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout (tmp_path with slo/) whose build also yields the fixture board, as the dashboards will."""
    shutil.copytree(ROOT / "slo", tmp_path / "slo", ignore=shutil.ignore_patterns("__pycache__"))
    real = build.outputs

    def outputs(decl: Any, **kwargs: Any) -> dict[str, str | bytes]:
        return {**real(decl, **kwargs), "grafana/dashboards/preview-fixture.json": FIXTURE.read_text()}

    monkeypatch.setattr(build, "outputs", outputs)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_preview_writes_build_preview_uid_html_and_says_where(repo_with_fixture_board: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["preview", "preview-fixture"]) == 0
    written = repo_with_fixture_board / "build" / "preview" / "preview-fixture.html"
    assert written.read_text(encoding="utf-8") == preview.render(fixture_board())
    assert capsys.readouterr().out == "obsgen preview: wrote build/preview/preview-fixture.html\n"
    assert not (repo_with_fixture_board / "out").exists()


def test_preview_out_option(repo_with_fixture_board: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "elsewhere" / "page.html"
    assert cli.main(["preview", "preview-fixture", "--out", str(target)]) == 0
    assert "<title>Preview fixture &lt;b&gt;board&lt;/b&gt; (preview-fixture)" in target.read_text()
    assert capsys.readouterr().out.strip().endswith("elsewhere/page.html")


def test_unknown_uid_is_one_line_listing_the_built_dashboards(repo_with_fixture_board: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["preview", "no-such-board"]) == 2
    out, err = capsys.readouterr()
    known = preview.dashboard_uids(build.outputs(declarations.load(repo_with_fixture_board)))
    assert "preview-fixture" in known
    assert out == ""
    assert err == f"obsgen preview: 'no-such-board': no such dashboard (built: {', '.join(known)})\n"
    assert not (repo_with_fixture_board / "build").exists()


# --- in a real browser --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Session]:
    with webdriver.chromium(tmp_path_factory.mktemp("chromium")) as session:
        yield session


_GEOMETRY = """
const grid = document.querySelector('main.grid').getBoundingClientRect();
return {
  grid: [grid.x, grid.y, grid.width],
  boxes: [...document.querySelectorAll('section.box')].map(e => {
    const r = e.getBoundingClientRect();
    return {grid: e.dataset.grid.split(',').map(Number), row: e.classList.contains('row'),
            title: e.querySelector('.title').textContent, rect: [r.x, r.y, r.width, r.height]};
  }),
  title: document.title, scripts: document.scripts.length,
  height: document.documentElement.scrollHeight, chrome: window.outerHeight - window.innerHeight,
};
"""


def test_missing_chromium_fails_with_the_apt_get_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A FAIL (AssertionError), never a skip: `make tools` installs chromium and chromium-driver."""
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(AssertionError, match=r"chromium not found .* apt-get install .*chromium chromium-driver"):
        with webdriver.chromium(tmp_path):
            pass


def look_at(browser: webdriver.Session, page: Path) -> tuple[dict[str, Any], Image.Image]:
    """Open the page, grow the window to the whole page, and return its geometry and a screenshot."""
    browser.resize(1400, 400)  # scrollHeight is at least the viewport: shrink before measuring the page
    browser.open(page.as_uri())
    first = browser.execute(_GEOMETRY)
    browser.resize(1400, first["height"] + first["chrome"])
    seen = browser.execute(_GEOMETRY)
    shot = Image.open(io.BytesIO(browser.screenshot())).convert("RGB")
    return seen, shot


def assert_rendered(board: dict[str, Any], seen: dict[str, Any], shot: Image.Image) -> None:
    # not blank: a painted page has text (many anti-aliased colours) and panels over the background
    colours = shot.getcolors(maxcolors=1 << 20) or []
    assert len(colours) >= 64, f"only {len(colours)} colours: blank page?"
    background = next((n for n, c in colours if c == PAGE_BACKGROUND), 0)
    assert background < 0.8 * shot.width * shot.height
    # every title is in the DOM as text, and nothing in the page ran or became markup
    assert sorted(b["title"] for b in seen["boxes"]) == sorted(all_titles(board))
    assert seen["scripts"] == 0 and "pwned" not in seen["title"]
    # each box where its gridPos puts it: 24 columns over the grid's width, 38 px per row unit
    gx, gy, gw = seen["grid"]
    assert shot.height >= max(b["rect"][1] + b["rect"][3] for b in seen["boxes"])
    for box in seen["boxes"]:
        x, y, w, h = box["grid"]
        expected = [gx + x * gw / 24, gy + y * 38, w * gw / 24 - 8, h * 30 + (h - 1) * 8]
        assert box["rect"] == pytest.approx(expected, abs=1), box["title"]
        if not box["row"]:  # and painted there: a panel's inner corner is panel white, not page grey
            left, top, _, height = box["rect"]
            assert shot.getpixel((int(left) + 5, int(top + height) - 5)) == PANEL_BACKGROUND, box["title"]


def test_fixture_board_in_headless_chromium(browser: webdriver.Session, tmp_path: Path) -> None:
    board = fixture_board()
    page = tmp_path / "preview-fixture.html"
    page.write_text(preview.render(board), encoding="utf-8")
    seen, shot = look_at(browser, page)
    assert_rendered(board, seen, shot)
    assert len(seen["boxes"]) == 9


def test_a_broken_page_fails_the_browser_checks(browser: webdriver.Session, tmp_path: Path) -> None:
    """The browser assertions can fail: a page without its panels is caught (blank and titles missing)."""
    board = fixture_board()
    page = tmp_path / "empty.html"
    page.write_text(preview.render({**copy.deepcopy(board), "panels": []}), encoding="utf-8")
    seen, shot = look_at(browser, page)
    with pytest.raises(AssertionError):
        assert_rendered(board, seen, shot)


def test_maestro_dashboards_in_headless_chromium(browser: webdriver.Session, tmp_path: Path) -> None:
    """The real boards: `obsgen preview` of each built dashboard renders fully (the Rollout board at least)."""
    files = build.outputs(declarations.load(ROOT))
    uids = preview.dashboard_uids(files)
    assert "maestro-rollout" in uids, f"the build yields no maestro-rollout dashboard (dashboards: {uids})"
    for uid in uids:
        page = tmp_path / f"{uid}.html"
        assert cli.main(["preview", uid, str(ROOT / "slo"), "--dashboards", str(ROOT / "dashboards"),
                         "--out", str(page)]) == 0
        board = preview.dashboard(files, uid)
        assert board is not None
        seen, shot = look_at(browser, page)
        assert_rendered(board, seen, shot)
