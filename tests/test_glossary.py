"""Every chapter writes each term in the one form report/glossary.yml gives it (issue 17)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hw3core import glossary
from hw3core.settings import PROJECT_ROOT

PROSE = sorted([PROJECT_ROOT / "index.qmd", *(PROJECT_ROOT / "report").glob("*.qmd"), *(PROJECT_ROOT / "src" / "hw3core").glob("*/text.py")])


@pytest.mark.parametrize("path", PROSE, ids=lambda p: f"{p.parent.name}/{p.name}")
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
