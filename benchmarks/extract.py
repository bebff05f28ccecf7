"""How fast documents are read: pages per second for PDF and web pages, and Word and
Markdown for comparison.

    python benchmarks/extract.py                 # 200 PDF pages, 200 web pages
    python benchmarks/extract.py --pages 50 --repeat 5

Every document is generated here: PDFs by reportlab's layout engine (platypus), in one and
in two columns, with a running header, a footer with the page number and headings; web
pages as news sites serve them (about 60 KB each: scripts, a menu of 60 links, ads, a
newsletter box, related stories, 20 comments, a footer around an article of 12 paragraphs);
a Word file of the same text. The time is ``formats.extract`` alone, bytes to blocks, after
one warm-up run (so imports are not counted), best of ``--repeat``.

Targets (issue 15, on these 2 cores): PDF >= 20 pages/s, HTML >= 50 pages/s.
Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retrieval.documents.formats import extract  # noqa: E402
from retrieval.documents.formats.cache import ExtractCache, cached_extract  # noqa: E402

WORDS = ("harbour council ferry bridge budget funding repair tide boat crew visitor festival market season "
         "island landing stage passenger timetable grant fisheries board engineer inspection weather storm "
         "winter summer crossing ticket children waiting room bakery road agency mainland").split()


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randrange(8, 22))]
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randrange(3, 7)))


def make_pdf(pages: int, columns: int, rng: random.Random) -> tuple[bytes, list[str]]:
    """The PDF, and the text of its body paragraphs in order."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph

    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    width, height = A4

    def furniture(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawString(72, height - 40, "HARBOUR COUNCIL - ANNUAL REPORT")
        canvas.drawString(72, 30, "Published by the harbour council")
        canvas.drawRightString(width - 72, 30, f"Page {doc.page}")
        canvas.restoreState()

    gap = 18
    frame_w = (width - 144 - gap * (columns - 1)) / columns
    frames = [Frame(72 + i * (frame_w + gap), 72, frame_w, height - 144) for i in range(columns)]
    doc = BaseDocTemplate(buffer, pagesize=A4, title="Annual report")
    doc.addPageTemplates([PageTemplate(frames=frames, onPage=furniture)])
    story = []
    texts: list[str] = []
    # Enough text for the pages asked for: about 4,500 characters a page.
    while sum(map(len, texts)) < pages * 4500:
        if rng.random() < 0.12:
            story.append(Paragraph(" ".join(rng.choice(WORDS) for _ in range(3)).title(), styles["Heading2"]))
        texts.append(paragraph(rng))
        story.append(Paragraph(texts[-1], styles["BodyText"]))
    doc.build(story)
    return buffer.getvalue(), texts


def make_html(rng: random.Random) -> bytes:
    menu = "".join(f'<li><a href="/section/{i}">{rng.choice(WORDS).title()} {i}</a></li>' for i in range(60))
    comments = "".join(
        f'<div class="comment"><span class="author">reader{i}</span><p>{sentence(rng)} {sentence(rng)}</p></div>'
        for i in range(20)
    )
    related = "".join(f'<li><a href="/news/{i}">{sentence(rng)}</a></li>' for i in range(8))
    body = []
    for i in range(12):
        if i in (4, 8):
            body.append(f"<h2>{rng.choice(WORDS).title()} {rng.choice(WORDS)}</h2>")
        body.append(f"<p>{paragraph(rng)}</p>")
        if i == 6:
            body.append('<div class="ad">ADVERTISEMENT Buy the Turbo Blender today</div>')
    script = "var tracking = {" + ",".join(f'"k{i}": "{"x" * 40}"' for i in range(400)) + "};"
    page = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{sentence(rng)} | The Coastal Herald</title>
<meta property="og:site_name" content="The Coastal Herald"><meta name="author" content="Maria Jensen">
<meta property="article:published_time" content="2024-05-17T08:30:00Z">
<script>{script}</script><style>{'.c{color:red} ' * 300}</style></head><body>
<div class="cookie-banner">We use cookies. <button>Accept</button></div>
<header><nav><ul>{menu}</ul></nav><div class="ad">ADVERTISEMENT Sunset cruises from 299 kroner</div></header>
<main><article><h1>{sentence(rng)}</h1><div class="byline">By Maria Jensen</div>{''.join(body)}</article>
<aside class="newsletter"><h3>Get the briefing</h3><p>Sign up for our newsletter.</p></aside>
<section class="related"><h3>Related stories</h3><ul>{related}</ul></section>
<section class="comments"><h3>Comments</h3>{comments}</section></main>
<footer><p>© 2024 The Coastal Herald</p><ul>{menu}</ul></footer></body></html>"""
    return page.encode("utf-8")


def make_docx(paragraphs: int, rng: random.Random) -> bytes:
    import docx

    document = docx.Document()
    for i in range(paragraphs):
        if i % 10 == 0:
            document.add_heading(rng.choice(WORDS).title(), 1)
        document.add_paragraph(paragraph(rng))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def best_of(repeat: int, work) -> float:
    work()  # warm-up: imports, caches
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=200, help="PDF pages and web pages to read")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(15)
    print(f"load average {os.getloadavg()[0]:.1f}; best of {args.repeat}")
    print(f"{'document':<44} {'units':>6} {'size':>9} {'seconds':>8} {'per second':>16}")

    def row(label: str, units: int, unit: str, data_size: int, seconds: float) -> None:
        print(f"{label:<44} {units:>6} {data_size / 1024:>7.0f} K {seconds:>8.2f} {units / seconds:>10.0f} {unit}/s")

    for columns in (1, 2):
        pdf, texts = make_pdf(args.pages, columns, rng)
        pages = len(__import__("pypdf").PdfReader(io.BytesIO(pdf)).pages)
        got = {b.text for b in extract("r.pdf", pdf).blocks}
        whole = sum(t in got for t in texts)  # paragraphs read exactly as written
        seconds = best_of(args.repeat, lambda: extract("r.pdf", pdf))
        label = f"PDF, {columns} column{'s' if columns > 1 else ''} ({whole}/{len(texts)} paragraphs exact)"
        row(label, pages, "pages", len(pdf), seconds)

    # What a reindex pays for the same PDF unchanged: a lookup in the extract cache.
    with tempfile.TemporaryDirectory() as folder:
        with ExtractCache(Path(folder) / "extracts.sqlite") as cache:
            sha = hashlib.sha256(pdf).hexdigest()
            seconds = best_of(args.repeat, lambda: cached_extract("r.pdf", pdf, sha, cache=cache))
        row("PDF, 2 columns, unchanged (cached)", pages, "pages", len(pdf), seconds)

    pages_html = [make_html(rng) for _ in range(args.pages)]
    assert all(len(extract("p.html", page).blocks) == 12 for page in pages_html[:5])
    seconds = best_of(args.repeat, lambda: [extract("p.html", page) for page in pages_html])
    row("web pages (news article + furniture)", len(pages_html), "pages", sum(map(len, pages_html)), seconds)

    word = make_docx(args.pages * 5, rng)
    seconds = best_of(args.repeat, lambda: extract("r.docx", word))
    row(f"Word ({args.pages * 5} paragraphs)", args.pages * 5, "paras", len(word), seconds)

    text = "\n\n".join(paragraph(rng) for _ in range(args.pages * 5)).encode()
    seconds = best_of(args.repeat, lambda: extract("r.md", text))
    row(f"Markdown ({args.pages * 5} paragraphs)", args.pages * 5, "paras", len(text), seconds)


if __name__ == "__main__":
    main()
