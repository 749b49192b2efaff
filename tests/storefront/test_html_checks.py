"""Positive controls: the page checker really finds each kind of planted problem."""

from tests.storefront.html_checks import page_problems

GOOD = """<!doctype html><html lang="en"><body>
<header><nav><a href="/">Home</a></nav></header>
<main><h1>Title</h1>
<form><label for="q">Search</label><input id="q" name="q">
<label>Qty <input name="qty" type="number"></label>
<input type="hidden" name="x"><button type="submit">Go</button></form>
<img src="/a.svg" alt="">
<script src="/static/app.js"></script>
<script type="application/ld+json">{"a": 1}</script>
</main><footer>f</footer></body></html>"""


def test_a_clean_page_has_no_problems():
    assert page_problems(GOOD) == []


def test_missing_lang_is_found():
    assert page_problems(GOOD.replace(' lang="en"', "")) == ["<html> has no lang"]


def test_image_without_alt_is_found():
    html = GOOD.replace('alt=""', "")
    assert page_problems(html) == ["<img src='/a.svg'> has no alt attribute"]


def test_unlabelled_input_is_found():
    html = GOOD.replace('<label for="q">Search</label>', "")
    assert page_problems(html) == ["<input id='q'> has no label"]


def test_aria_label_counts_as_a_label():
    html = GOOD.replace('<label for="q">Search</label><input id="q"', '<input aria-label="Search"')
    assert page_problems(html) == []


def test_heading_count_is_checked():
    assert page_problems(GOOD.replace("<h1>Title</h1>", "")) == [
        "0 <h1> elements, expected exactly 1"
    ]
    assert page_problems(GOOD.replace("<h1>Title</h1>", "<h1>A</h1><h1>B</h1>")) == [
        "2 <h1> elements, expected exactly 1"
    ]


def test_missing_landmarks_are_found():
    html = GOOD.replace("<footer>f</footer>", "").replace("<nav>", "").replace("</nav>", "")
    assert page_problems(html) == ["no <nav> landmark", "no <footer> landmark"]


def test_inline_script_and_styles_are_found():
    html = GOOD.replace(
        "<h1>Title</h1>",
        '<h1 style="color:red">Title</h1><script>alert(1)</script><style>p{}</style>',
    )
    assert page_problems(html) == [
        "style attribute on <h1>",
        "inline <script> without src",
        "inline <style> element",
    ]
