"""Every chapter writes each term in the one form report/glossary.yml gives it (issue 17)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hw3core import glossary
from hw3core.settings import PROJECT_ROOT

PROSE = glossary.prose_files()


@pytest.mark.parametrize("path", PROSE, ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_chapter_uses_the_glossary_terms(path: Path):
    assert [str(s) for s in glossary.stray_terms(path)] == []


def test_glossary_has_one_form_per_term_and_no_form_is_also_forbidden():
    terms = glossary.terms()
    chosen = {t.fa for t in terms}
    assert len(chosen) == len(terms) and all(t.fa and t.avoid for t in terms)
    assert not chosen & {v for t in terms for v in t.avoid}


def test_variants_match_whole_words_with_their_suffixes_only():
    pattern = glossary.variant_pattern
    assert pattern("دسته‌بند").search("یک دسته‌بندی ساده") and pattern("میدان دید").search("میدان دیدِ نورون")
    assert pattern("دوره").search("در دوره‌ها") and pattern("دوره").search("دورهٔ اول")
    assert not pattern("پیش‌آموزش‌دیده").search("شبکهٔ ازپیش‌آموزش‌دیده") and not pattern("بچ").search("بچه")
    assert pattern("هزینهٔ آزمون").search("هزینهٔ آزمونش") and not pattern("سرهم").search("پشت‌سرهم")
    # a Latin term takes a joined Persian suffix; a hyphenated compound is another word
    assert pattern("FC").search("دو لایهٔ FC") and pattern("FC").search("FCها") and pattern("anchor box").search("anchor boxها")
    assert not pattern("FC").search("FC-DenseNet") and not pattern("FC").search("FCN") and not pattern("FC").search("a FC2")


def test_the_new_terms_catch_what_issue_26_found(tmp_path: Path):
    """One term per concept: loss is «زیان» (never «هزینه», kept for compute), a grid is
    «توری» (never «شبکه», kept for a network), FC is «تمام‌متصل», an anchor is «anchor»;
    and the calques «حالت», «دانش جمعی» and «سرهم» are gone."""
    chapter = tmp_path / "c.qmd"
    chapter.write_text(
        "نمودارهای هزینه و دقت و تابع هزینه\nروی یک شبکهٔ درشت از نقاط کنترل\nلایهٔ FC و لایهٔ خطی\n"
        "اگر پیش‌فرض‌ها از ابتدا\n«حالت» را حفظ کند و به «دانش جمعی» اضافه\nخروجی را «سرهم» کند\n",
        encoding="utf-8",
    )
    found = {(s.variant, s.term.fa) for s in glossary.stray_terms(chapter)}
    assert found == {("هزینه و دقت", "زیان"), ("تابع هزینه", "زیان"), ("شبکهٔ درشت", "توری"), ("FC", "تمام‌متصل"),
                     ("لایهٔ خطی", "تمام‌متصل"), ("پیش‌فرض‌ها", "anchor"), ("«حالت»", "وضعیت"),
                     ("دانش جمعی", "دانش مشترک"), ("سرهم", "ساختن")}
    chapter.write_text("هزینهٔ محاسباتی هر لایهٔ شبکهٔ عصبی در حالت کلی؛ FC-DenseNet، طبقه‌بند خطی، اندازهٔ پیش‌فرض، پشت‌سرهم\n", encoding="utf-8")
    assert glossary.stray_terms(chapter) == []


def test_every_module_that_writes_persian_is_checked():
    """Not only text.py: P2's table headers and the smoke banner reach the reader too."""
    modules = {p.relative_to(PROJECT_ROOT / "src" / "hw3core").as_posix() for p in PROSE if p.suffix == ".py"}
    assert {"p2/analysis.py", "chapter.py", "p1/text.py", "t2/text.py", "t4/text.py"} <= modules


def test_prose_leaves_out_code_math_and_inline_python(tmp_path: Path):
    chapter = tmp_path / "c.qmd"
    chapter.write_text(
        "متن با `دوره` و $دوره$ و `{python} n(دوره)`.\n```{python}\n#| fig-cap: \"شکلِ میدان دید\"\nx = 'دوره'\n```\nمیدان دید\n",
        encoding="utf-8",
    )
    found = [(s.where.rsplit(":", 1)[1], s.variant) for s in glossary.stray_terms(chapter)]
    assert found == [("3", "میدان دید"), ("6", "میدان دید")]
    module = tmp_path / "text.py"
    module.write_text('def f(epochs):\n    return f"پس از {epochs} دوره" + "بافتار"\n', encoding="utf-8")
    assert sorted(s.variant for s in glossary.stray_terms(module)) == ["بافتار", "دوره"]
    # a docstring is for the code's reader, and an English literal is no Persian prose
    module.write_text('def f():\n    """«دوره» here is a word of the docs."""\n    return "FC" + " Fully Connected"\n', encoding="utf-8")
    assert glossary.stray_terms(module) == []
