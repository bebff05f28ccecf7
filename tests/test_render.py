"""The pure rendering layer: content, safety and Discord's limits, without any network."""

from __future__ import annotations

import json
import re

import discord

from bot import console
from bot.render import (
    ELLIPSIS,
    NOT_FOUND,
    NO_MENTIONS,
    SPEAKER_NOT_NAMED,
    MessageParts,
    autocomplete_choices,
    custom_id,
    escape,
    parse_custom_id,
    render_answer,
    render_error,
    render_help,
    render_not_found,
    render_paragraph,
    render_people,
    render_person,
    render_quotes,
    render_sources,
    snippet,
    truncate,
)
from retrieval.models import Answer, Mention, Passage, Person, Quote, Role, SourceInfo

PINGS = ("@everyone", "@here", "<@123>", "<@!123>", "<@&5>", "<#9>")


# ------------------------------------------------------------------------------- helpers


def passage(
    sentence: str,
    before: str = "",
    after: str = "",
    *,
    title: str = "Talks in Doha",
    date: str | None = "2025-01-23",
    paragraph: int = 7,
    doc: str = "doha.txt",
) -> Passage:
    text = before + sentence + after
    return Passage(
        doc=doc,
        title=title,
        date=date,
        paragraph=paragraph,
        sentence=2,
        text=sentence,
        paragraph_text=text,
        score=0.9,
        sentence_start=len(before),
        sentence_end=len(before) + len(sentence),
    )


def texts(parts: MessageParts) -> list[str]:
    """Every string Discord would show from these parts."""
    out = [parts.content or ""]
    for e in parts.embeds:
        out += [e.title or "", e.description or "", e.footer.text or "", e.author.name or ""]
        for f in e.fields:
            out += [f.name or "", f.value or ""]
    return out


def everything(parts: MessageParts) -> str:
    return "\n".join(texts(parts))


def embed_size(e: discord.Embed) -> int:
    # Computed here rather than with len(embed) so the test does not trust the library.
    size = len(e.title or "") + len(e.description or "")
    size += sum(len(f.name or "") + len(f.value or "") for f in e.fields)
    return size + len(e.footer.text or "") + len(e.author.name or "")


def assert_within_limits(parts: MessageParts) -> None:
    assert parts.content is not None or parts.embeds, "a message needs content or an embed"
    if parts.content is not None:
        assert 0 < len(parts.content) <= 2000
    assert len(parts.embeds) <= 10
    total = 0
    for e in parts.embeds:
        assert len(e.title or "") <= 256
        assert len(e.description or "") <= 4096
        assert len(e.fields) <= 25
        for f in e.fields:
            assert 0 < len(f.name) <= 256
            assert 0 < len(f.value) <= 1024
        assert len(e.footer.text or "") <= 2048
        assert len(e.author.name or "") <= 256
        assert embed_size(e) <= 6000
        assert embed_size(e) == len(e)
        total += embed_size(e)
        json.dumps(e.to_dict())  # the payload the library would send
    # Discord counts 6,000 across all embeds of one message.
    assert total <= 6000


def assert_no_pings(parts: MessageParts) -> None:
    shown = everything(parts)
    for ping in PINGS:
        assert ping not in shown, ping
    assert not re.search(r"<@[!&]?\d+>|<#\d+>|@(everyone|here)", shown)


# --------------------------------------------------------------------------------- /ask


def test_answer_has_short_answer_bold_sentence_and_citation() -> None:
    p = passage("About 10,000 people attended.", "The rally began at noon. ", " It ended late.")
    parts = render_answer(Answer("How many attended?", True, "10,000", (p,)))

    assert parts.content is None
    assert len(parts.embeds) == 1
    d = parts.embeds[0].description
    assert d.startswith("**Answer:** 10,000")
    assert "The rally began at noon. **About 10,000 people attended.** It ended late." in d
    assert "\n— *Talks in Doha*, 2025-01-23, ¶7" in d
    assert parts.embeds[0].title == "How many attended?"
    assert parts.passages == (p,)
    assert not parts.has_more
    assert_within_limits(parts)


def test_citation_without_date() -> None:
    p = passage("A sentence.", date=None, paragraph=3)
    d = render_answer(Answer("q", True, None, (p,))).embeds[0].description
    assert "— *Talks in Doha*, ¶3" in d
    assert "**Answer:**" not in d


def test_three_results_per_page_and_more_results_pages_through_more() -> None:
    ps = tuple(passage(f"Sentence number {i}.", paragraph=i) for i in range(1, 9))
    answer = Answer("q", True, None, ps[:3], ps[3:])

    first = render_answer(answer)
    assert (first.page, first.pages, first.has_more) == (0, 3, True)
    assert first.passages == ps[:3]
    assert "**3.** **Sentence number 3.**" in first.embeds[0].description
    assert "Sentence number 4." not in first.embeds[0].description

    last = render_answer(answer, page=2)
    assert last.passages == ps[6:]
    assert "**7.** **Sentence number 7.**" in last.embeds[0].description
    assert "¶8" in last.embeds[0].description
    assert not last.has_more
    assert "page 3/3" in last.embeds[0].footer.text
    # An out-of-range page (a stale button) clamps instead of failing.
    assert render_answer(answer, page=99).page == 2


def test_long_paragraph_is_trimmed_around_the_best_sentence() -> None:
    before = "Earlier context goes here. " * 400
    after = " Later context follows it. " * 400
    p = passage("The key finding was reported.", before, after)
    d = render_answer(Answer("q", True, None, (p,))).embeds[0].description

    assert "**The key finding was reported.**" in d
    block = d.split("\n— ")[0]
    assert ELLIPSIS in block.split("**The key")[0]  # context cut before
    assert block.rstrip().endswith(ELLIPSIS)  # and after
    assert "Earlier context goes here." in block and "Later context follows it." in block
    assert len(block) < 1000


def test_stale_sentence_offsets_fall_back_to_finding_the_sentence() -> None:
    p = Passage("d", "T", None, 1, 1, "Second one.", "First one. Second one. Third.", 1.0)  # offsets 0, 0
    d = render_answer(Answer("q", True, None, (p,))).embeds[0].description
    assert "First one. **Second one.** Third." in d


def test_not_answered_says_so_and_lists_what_the_documents_cover() -> None:
    sources = [
        SourceInfo("a.txt", "Talks in Doha", "2025-01-23", "Doha", 12, 40),
        SourceInfo("b.txt", "Relief *convoy*", None, None, 3, 9),
    ]
    p = passage("Irrelevant.")
    parts = render_answer(Answer("What is the moon made of?", False, None, (p,)), sources=sources)

    assert parts.embeds == []
    assert parts.content.startswith(NOT_FOUND)
    assert NOT_FOUND == "I couldn't find that in the documents."
    assert "Talks in Doha" in parts.content and "2025-01-23" in parts.content
    assert "Relief \\*convoy\\*" in parts.content
    assert_within_limits(parts)
    assert render_not_found().content == NOT_FOUND


def test_not_found_caps_a_long_source_list() -> None:
    sources = [SourceInfo(f"{i}.txt", f"Document {i}", None, None, 1, 1) for i in range(200)]
    content = render_not_found(sources).content
    assert "Document 0" in content and "Document 150" not in content
    assert "more (see /sources)" in content


def test_show_paragraph_is_ephemeral_and_complete() -> None:
    before = "Alpha beta gamma. " * 50
    p = passage("The best one.", before, " Omega.")
    parts = render_paragraph(p)
    d = parts.embeds[0].description
    assert parts.ephemeral
    assert d.startswith(before.rstrip()[:200])
    assert "**The best one.** Omega." in d
    assert "— *Talks in Doha*, 2025-01-23, ¶7" in d
    assert_within_limits(parts)


# ------------------------------------------------------------------------------- safety


def test_mentions_in_documents_and_question_cannot_ping() -> None:
    hostile = "Hi @everyone and @here, <@123> <@!123> <@&5> see <#9>."
    p = passage(f"The leader said {hostile}", f"{hostile} ", f" {hostile}", title=f"News {hostile}")
    answer = Answer(f"Who? {hostile}", True, f"Them {hostile}", (p,))
    person = Person(
        f"Ann {hostile}",
        ("@everyone",),
        (Role(f"head {hostile}", "<@&5>"),),
        (Mention("doha.txt", 1),),
        (Quote(hostile, "<@123>", "doha.txt", f"T {hostile}", None, 2),),
    )
    quote = Quote(hostile, None, "doha.txt", f"T {hostile}", None, 2)
    source = SourceInfo("doha.txt", f"T {hostile}", None, "@here", 1, 1)
    for parts in (
        render_answer(answer),
        render_answer(Answer(hostile, False, None, ()), sources=[source]),
        render_paragraph(p),
        render_person(person, sources=[source]),
        render_people([person]),
        render_quotes([quote], topic=hostile, speaker=hostile),
        render_sources([source]),
        render_error(hostile),
    ):
        assert_no_pings(parts)
        assert parts.send_kwargs()["allowed_mentions"] is NO_MENTIONS
    # The words still read the same once the zero-width spaces are ignored.
    assert hostile in render_error(hostile).content.replace("\u200b", "")
    assert NO_MENTIONS.to_dict() == {"parse": []}


def test_markdown_in_document_text_is_escaped() -> None:
    sentence = "Use *stars*, _underscores_, ~~strikes~~, `code`, ||spoilers|| and a \\ backslash."
    p = passage(sentence, "# Not a heading ", " > not a quote")
    d = render_answer(Answer("q", True, None, (p,))).embeds[0].description
    for escaped in ("\\*stars\\*", "\\_underscores\\_", "\\~\\~strikes\\~\\~", "\\`code\\`", "\\|\\|spoilers\\|\\|", "\\\\ backslash"):
        assert escaped in d, escaped
    assert "\\# Not a heading" in d
    # The only unescaped asterisks are our own bold, italics and the result number.
    assert f"**{escape(sentence)}**" in d
    unescaped = re.findall(r"(?<!\\)\*", re.sub(r"\\\\", "", d))
    assert len(unescaped) == 4 + 4 + 2  # "**1.**", the bold sentence, the italic title


def test_escape_function_neutralises_and_escapes() -> None:
    assert escape("a_b @everyone") == "a\\_b @\u200beveryone"
    assert escape("1. first") == "1\\. first"


# A simple model of Discord's markdown, to check what a reader would actually see formatted.
# An escaped punctuation character shows literally; everything else below still formats.
_ESCAPED = re.compile(r"\\([^0-9A-Za-z\s])")
_LIVE = re.compile(
    r"\[[^\]\n]*\]\([^)\n]*\)"  # masked link [text](url)
    r"|\*\*|\*|__|_|~~|\|\||`+"  # bold, italics, underline, strike, spoiler, code
    r"|^[ \t]*(?:#{1,3}|-#|>{1,3}|[-+]|\d+\.)(?=[ \t])",  # heading, subtext, quote, list
    re.MULTILINE,
)

# The reported repro: discord.utils.escape_markdown took "[docs]…evil.example)" as one link.
REPRO = "See [docs](http://a.com) then **bold** ||sp|| and [bank.com](https://evil.example)"
PHISH_TOPIC = "see [a](https://a.example) **free** [discord.com/gift](https://evil.example/phish)"
HOSTILE_MARKDOWN = (
    REPRO,
    PHISH_TOPIC,
    "[a[b]](https://x.example) [one](u) [two](v) ([three](w))",
    "# Heading\n## Two\n### Three\n-# subtext\n> quote\n>>> all the rest\n  > indented",
    "- item\n+ plus\n* star\n1. first\n  23. nested",
    "```py\ncode block\n``` and `inline` and ``double``",
    "*i* _u_ __under__ ~~strike~~ ***both*** ||spoiler|| a\\*b \\ C:\\Users\\n",
    "ping <@123> <#9> @everyone </cmd:1> then **bold**",
)


def live_markdown(rendered: str) -> list[str]:
    """The markup Discord would still act on in ``rendered``, in order."""
    # A placeholder (not deletion) so removing an escape cannot glue two markers together.
    return _LIVE.findall(_ESCAPED.sub("\0", rendered))


def visible(rendered: str) -> str:
    """What a reader sees once the escaping backslashes and zero-width spaces are gone."""
    return _ESCAPED.sub(r"\1", rendered).replace("\u200b", "")


def test_escape_leaves_nothing_to_format_and_reads_the_same() -> None:
    for text in HOSTILE_MARKDOWN:
        shown = escape(text)
        assert live_markdown(shown) == [], (text, shown)
        assert visible(shown) == text
    assert escape(REPRO) == (
        "See \\[docs\\]\\(http://a.com\\) then \\*\\*bold\\*\\* \\|\\|sp\\|\\| "
        "and \\[bank.com\\]\\(https://evil.example\\)"
    )


def test_masked_links_and_markup_in_documents_do_not_format_in_answers() -> None:
    # The bug: a paragraph with two [link](url) showed raw bold, spoilers and code.
    before = f"{REPRO}\n# Heading\n> quoted\n"
    sentence = "The talks began: [bank.com](https://evil.example) **free** ||x||."
    after = " `code` ~~gone~~ __u__ *i*\n- item\n1. first\n-# small\n```\nblock\n```"
    title = "Doha [x](https://evil.example) **t**"
    p = passage(sentence, before, after, title=title)
    answer = Answer(f"Why {REPRO}?", True, f"Because {REPRO}", (p,))

    parts = render_answer(answer)
    d = parts.embeds[0].description
    # Only our own markup formats: "**Answer:**", "**1.**", the bold sentence, the italic title.
    assert live_markdown(d) == ["**"] * 6 + ["*"] * 2, d
    assert f"**{escape(sentence)}**" in d  # the best sentence is still bold
    for raw in (before, sentence, after, title, f"Because {REPRO}"):
        assert raw in visible(d), raw
    assert live_markdown(parts.embeds[0].title) == []
    assert visible(parts.embeds[0].title) == f"Why {REPRO}?"
    assert_within_limits(parts)

    para = render_paragraph(p).embeds[0]
    assert live_markdown(para.description) == ["**"] * 2 + ["*"] * 2, para.description
    assert visible(para.description).startswith(before + "**" + sentence + "**" + after)
    assert live_markdown(para.title) == [] and visible(para.title) == title


def test_a_public_quote_reply_carries_no_masked_link() -> None:
    # The bug: /quote topic="…" put a working phishing link in a public message.
    q = Quote(REPRO, "Ann **x** [y](https://evil.example)", "doha.txt", "Talks [t](u)", "2025-01-23", 4)
    parts = render_quotes([q], topic=PHISH_TOPIC, speaker="[me](https://evil.example)")
    assert not parts.ephemeral
    assert live_markdown(parts.content) == [], parts.content
    assert visible(parts.content) == f"1 quote about “{PHISH_TOPIC}” by [me](https://evil.example)"
    d = parts.embeds[0].description
    assert live_markdown(d) == ["**", "**", "*", "*"], d  # the speaker in bold, the title italic
    assert visible(d) == f"“{REPRO}”\n— **Ann **x** [y](https://evil.example)**\n*Talks [t](u)*, 2025-01-23, ¶4"
    assert live_markdown(render_quotes([], topic=PHISH_TOPIC).content) == []


def test_line_start_markers_are_escaped_even_right_after_the_bold_marker() -> None:
    for sentence in ("> Quoted line.", "# Heading line.", "- Listed line.", "1. Numbered line."):
        d = render_paragraph(passage(sentence, "", " Rest.")).embeds[0].description
        assert d.startswith(f"**{escape(sentence)}**"), d  # "**\\> Quoted line.**", …


def test_limits_hold_when_escaping_doubles_the_text() -> None:
    links = "[a](b) " * 3_000  # every other character needs a backslash
    p = passage(links[:5_000], links, links, title=links[:600])
    q = Quote(links, links[:500], "d.txt", links[:600], None, 1)
    for parts in (
        render_answer(Answer(links, True, links, (p,) * 3)),
        render_paragraph(p),
        render_quotes([q] * 12, topic=links, speaker=links),
        render_error(links),
    ):
        assert_within_limits(parts)
        for shown in texts(parts):
            assert not re.search(r"\[[^\]\n]*\]\([^)\n]*\)", _ESCAPED.sub("\0", shown)), shown[:200]


# ------------------------------------------------------------------------------- limits


def test_every_limit_holds_for_huge_inputs() -> None:
    words = "lorem ipsum dolor sit amet consectetur " * 600  # ~23,000 characters
    para_20k = words[:20_000]
    sentence_5k = ("verylongword " * 400)[:5_000]
    question_3k = ("why " * 800)[:3_000]
    long_title = "T" * 500
    huge = passage(sentence_5k, para_20k, para_20k, title=long_title)
    mid = passage(para_20k[9_000:9_050], para_20k[:9_000], para_20k[9_050:])
    nospace = passage("x" * 5_000, "y" * 20_000, "z" * 20_000, title="u" * 400)
    markup = passage("*" * 5_000, "_" * 20_000, "`" * 20_000, title="*" * 400)
    thirty = tuple([huge, mid, nospace, markup] * 8)[:30]
    answer = Answer(question_3k, True, "A" * 3_000, thirty[:3], thirty[3:])

    rendered: list[MessageParts] = []
    for per_page in (1, 3, 10, 30):
        for page in range(0, 31):
            rendered.append(render_answer(answer, page=page, per_page=per_page))
    for p in (huge, mid, nospace, markup):
        rendered.append(render_paragraph(p))
        rendered.append(render_answer(Answer(question_3k, True, None, (p,))))

    sources = [SourceInfo(f"{i}.txt", "S" * 400, "2025-01-01", "P" * 300, 10**6, 10**7) for i in range(300)]
    rendered += [render_sources(sources), render_not_found(sources)]
    rendered.append(render_answer(Answer(question_3k, False, None, ()), sources=sources))

    quotes = tuple(
        Quote("Q " * 3_000, None if i % 2 else "N" * 400, f"{i}.txt", long_title, "2025-01-01", i)
        for i in range(40)
    )
    people = [
        Person(
            f"Person {i} " + "n" * 400,
            tuple("alias" * 100 for _ in range(30)),
            tuple(Role("r" * 500, "o" * 500) for _ in range(40)),
            tuple(Mention(f"{j}.txt", j) for j in range(300)),
            quotes,
        )
        for i in range(40)
    ]
    rendered += [render_people(people), render_people(people, sources=sources)]
    rendered += [render_person(p, sources=sources) for p in people[:3]]
    rendered += [render_quotes(quotes, topic=question_3k, speaker="s" * 3_000), render_quotes([], topic=question_3k)]
    rendered += [render_error("e " * 5_000), render_help()]

    for parts in rendered:
        assert_within_limits(parts)
    # The trimmed best sentence is still bold (closed) in the 20k paragraph.
    d = render_answer(Answer("q", True, None, (mid,))).embeds[0].description
    assert f"**{mid.text}**" in d


def test_custom_ids_fit_and_parse() -> None:
    assert custom_id("more", "abc123", 2) == "citebot:more:abc123:2"
    assert parse_custom_id("citebot:more:abc123:2") == ("more", "abc123", "2")
    assert parse_custom_id("other:x") is None

    long = custom_id("more", "k" * 500, 3)
    assert len(long) <= 100
    assert long.endswith(":3")  # the page survives; the key becomes a digest
    assert long == custom_id("more", "k" * 500, 3)  # deterministic
    assert len(custom_id(*["p" * 10] * 40)) <= 100
    assert parse_custom_id(custom_id("para", "a:b")) == ("para", "a_b")


def test_autocomplete_limits_and_matching() -> None:
    names = [f"Name {i} " + "x" * 300 for i in range(100)] + ["Hafiz Naeem ur Rehman", "Naeem", "naeem", ""]
    choices = autocomplete_choices(names, "")
    assert len(choices) == 25
    for c in choices:
        assert 1 <= len(c.name) <= 100 and 1 <= len(c.value) <= 100

    found = autocomplete_choices(names, "naeem")
    assert [c.value for c in found] == ["Hafiz Naeem ur Rehman", "Naeem"]  # word start, no duplicates
    assert [c.value for c in autocomplete_choices(["Khaled Mashal"], "mash")] == ["Khaled Mashal"]
    assert autocomplete_choices(names, "zzz") == []


def test_truncate_cuts_on_a_word_boundary() -> None:
    assert truncate("short", 10) == "short"
    assert truncate("one two three four", 12) == "one two…"
    assert truncate("x" * 50, 10) == "x" * 9 + ELLIPSIS
    assert truncate("abc", 1) == ELLIPSIS
    assert truncate("abc", 0) == ""
    for limit in range(0, 40):
        assert len(truncate("alpha beta gamma delta epsilon zeta eta theta", limit)) <= limit
    # Rendered markdown: no dangling escape, and an open bold gets closed.
    assert truncate("abc \\*\\*\\*\\*\\*", 8, markdown=True).count("\\") % 2 == 0
    cut = truncate("before **bold words that go on and on**", 25, markdown=True)
    assert cut.count("**") == 2 and len(cut) <= 25


def test_snippet_budget_is_respected() -> None:
    p = passage("Middle sentence here.", "a " * 500, " b" * 500)
    for budget in (0, 1, 5, 21, 22, 30, 100, 999):
        sn = snippet(p, budget)
        assert len(sn.text) <= max(budget, 0)
    sn = snippet(p, 100)
    assert sn.sentence == "Middle sentence here."
    assert sn.before.startswith(ELLIPSIS) and sn.after.endswith(ELLIPSIS)


# ---------------------------------------------------------------------- people and quotes


def test_quote_without_speaker_says_so() -> None:
    q = Quote("We will rebuild.", None, "doha.txt", "Talks in Doha", "2025-01-23", 4)
    named = Quote("“We stand united.”", "Hafiz Naeem", "doha.txt", "Talks in Doha", "2025-01-23", 5)
    parts = render_quotes([q, named], topic="rebuilding")
    assert len(parts.embeds) == 2
    first, second = (e.description for e in parts.embeds)
    assert "“We will rebuild.”" in first and SPEAKER_NOT_NAMED in first
    assert "*Talks in Doha*, 2025-01-23, ¶4" in first
    assert "“We stand united.”" in second and "““" not in second and "**Hafiz Naeem**" in second
    assert "rebuilding" in parts.content
    assert render_quotes([], speaker="Nobody").content == "No quotes found by Nobody."


def test_person_embed_has_roles_mentions_and_citations() -> None:
    person = Person(
        "Hassan Darwish",
        ("Darwish",),
        (Role("current head", "Hamas"),),
        (Mention("doha.txt", 1), Mention("other.txt", 3)),
        (Quote("Thank you.", "Hassan Darwish", "doha.txt", "Talks in Doha", "2025-01-23", 5),),
    )
    sources = [SourceInfo("doha.txt", "Talks in Doha", "2025-01-23", "Doha", 5, 20)]
    e = render_person(person, sources=sources).embeds[0]
    fields = {f.name: f.value for f in e.fields}
    assert e.title == "Hassan Darwish"
    assert "Darwish" in e.description
    assert "current head, Hamas" in fields["Roles"]
    assert "*Talks in Doha*, 2025-01-23, ¶1" in fields["Mentioned in"]
    assert "*other.txt*, ¶3" in fields["Mentioned in"]  # unknown document: its id stands in
    assert "¶5" in fields["Quotes"]


def test_a_mention_cites_the_document_of_its_own_library_and_sources_mark_the_servers() -> None:
    # A server's "notes.txt" and the shared library's are two documents.
    server = 123456789012345678
    sources = [SourceInfo("notes.txt", "Shared notes", "2025-01-01", None, 1, 1),
               SourceInfo("notes.txt", "Club notes", "2025-02-02", None, 1, 1, library=server)]
    person = Person("Ann", (), (), (Mention("notes.txt", 1, library=server), Mention("notes.txt", 2)))
    mentioned = {f.name: f.value for f in render_person(person, sources=sources).embeds[0].fields}["Mentioned in"]
    assert mentioned.split("\n") == ["• *Club notes*, 2025-02-02, ¶1", "• *Shared notes*, 2025-01-01, ¶2"]
    lines = render_sources(sources).embeds[0].description.split("\n")
    assert "this server's" not in lines[0] and lines[1].endswith(" · this server's")


def test_people_embed_per_person_and_the_rest_named() -> None:
    people = [Person(f"Person {i}", (), (Role("member"),), (Mention("a.txt", i),)) for i in range(1, 41)]
    parts = render_people(people)
    assert len(parts.embeds) == 10
    assert parts.embeds[0].title == "Person 1"
    assert "40 people" in parts.content and "Person 40" in parts.content
    assert_within_limits(parts)
    assert render_people([]).content


def test_sources_help_and_error() -> None:
    sources = [SourceInfo("a.txt", "Talks in Doha", "2025-01-23", "Doha", 12, 40)]
    d = render_sources(sources).embeds[0].description
    assert "*Talks in Doha*" in d and "2025-01-23" in d and "12 paragraphs, 40 sentences" in d
    assert render_sources([]).content
    help_text = everything(render_help())
    for command in ("/ask", "/who", "/quote", "/sources", "/reindex", "/help"):
        assert command in help_text
    err = render_error("That took too long.")
    assert err.ephemeral and "That took too long." in err.content and not err.embeds


# ------------------------------------------------------------------------------ console


def test_text_renderer_shows_the_same_sentence_and_citation() -> None:
    p = passage("About 10,000 people attended.", "The rally began at noon. ", " It ended late.")
    answer = Answer("How many?", True, "10,000", (p,))
    text = console.answer_to_text(answer)
    assert "Answer: 10,000" in text
    assert "The rally began at noon. »About 10,000 people attended.« It ended late." in text
    assert p.citation in text and "Talks in Doha, 2025-01-23, ¶7" in text
    assert p.citation.replace("Talks in Doha", "*Talks in Doha*") in render_answer(answer).embeds[0].description

    coloured = console.answer_to_text(answer, colour=True)
    assert "\x1b[1mAbout 10,000 people attended.\x1b[0m" in coloured


def test_text_renderers_strip_terminal_control_and_handle_not_found() -> None:
    p = passage("Evil \x1b]0;pwned\x07 title.")
    text = console.answer_to_text(Answer("q", True, None, (p,)))
    assert "\x1b" not in text and "\x07" not in text

    sources = [SourceInfo("a.txt", "Talks in Doha", "2025-01-23", "Doha", 12, 40)]
    missing = console.answer_to_text(Answer("q", False, None, ()), sources=sources)
    assert missing.startswith(NOT_FOUND) and "Talks in Doha (2025-01-23)" in missing

    assert "12 paragraphs, 40 sentences" in console.sources_to_text(sources)
    q = Quote("We will rebuild.", None, "a.txt", "Talks in Doha", "2025-01-23", 4)
    assert SPEAKER_NOT_NAMED in console.quotes_to_text([q])
    assert "Talks in Doha, 2025-01-23, ¶4" in console.quotes_to_text([q])
    person = Person("Ann", ("A.",), (Role("head", "Org"),), (Mention("a.txt", 2),))
    assert "Talks in Doha, 2025-01-23, ¶2" in console.person_to_text(person, sources=sources)
    assert "Ann — head, Org (1 mention)" in console.people_to_text([person])


# ------------------------------------------------------------------- citations with a source


def located(sentence: str = "The fund paid 3.2 million kroner.", *, url: str | None, title: str = "Ferry returns",
            page: int | None = 3, section: str | None = None, local: int | None = 2) -> Passage:
    p = passage(sentence, "Before. ", " After.", title=title, paragraph=17)
    return Passage(**{**p.__dict__, "url": url, "page": page, "section": section, "local_paragraph": local})


def test_a_citation_names_page_and_section_and_links_to_its_source() -> None:
    p = located(url="https://herald.example/news/ferry", section="Funding")
    link = "[*Ferry returns*, 2025-01-23, § Funding, p. 3, ¶2](https://herald.example/news/ferry)"
    d = render_answer(Answer("q", True, None, (p,))).embeds[0].description
    assert d.endswith(f"— {link}") and live_markdown(d)[-1] == link
    assert render_paragraph(p).embeds[0].description.endswith(f"— {link}")
    # "Show context" labels sentences by the number the citation shows.
    from bot.render import render_context
    assert "`¶2.2`" in render_context(p, [p]).embeds[0].description
    # The same words as the one citation format, without the markdown.
    assert p.citation == "Ferry returns, 2025-01-23, § Funding, p. 3, ¶2"
    assert visible(link.replace("*", "")) == f"[{p.citation}](https://herald.example/news/ferry)"


def test_a_url_cannot_break_out_of_its_link() -> None:
    hostile = "https://herald.example/a) [free nitro](https://evil.example/x) <b>\"q\" \\ `c`"
    p = located(url=hostile, title="Report [draft] (v2)", section="Costs ] [x")
    d = render_answer(Answer("q", True, None, (p,))).embeds[0].description
    assert len([m for m in live_markdown(d) if m.startswith("[")]) == 1
    link = d[d.index("— [") + 2 :]
    target = link[link.index("](") + 2 : -1]
    # One link, to the host it names, every character that could end it percent-encoded;
    # brackets in the title and section shown as parentheses so its text cannot end early.
    assert target == ("https://herald.example/a%29%20%5Bfree%20nitro%5D%28https://evil.example/x%29%20"
                      "%3Cb%3E%22q%22%20%5C%20%60c%60")
    assert visible(link[1 : link.index("](")]) == "*Report (draft) (v2)*, 2025-01-23, § Costs ) (x, p. 3, ¶2"


def test_only_http_and_https_sources_are_linked() -> None:
    for url in ("javascript:alert(1)", "data:text/html,x", "ftp://files.example/a.pdf", "https://user:pw@x.example/",
                "https://" + "a" * 600 + ".example/", None):
        d = render_answer(Answer("q", True, None, (located(url=url),))).embeds[0].description
        assert "](" not in d and d.endswith("— *Ferry returns*, 2025-01-23, p. 3, ¶2"), url


def test_quotes_mentions_and_sources_link_their_source() -> None:
    url = "https://herald.example/news/ferry"
    q = Quote("We waited all winter.", "Lars Berg", "ferry.html", "Ferry returns", "2024-05-17", 6,
              url=url, section="Passengers", local_paragraph=2)
    d = render_quotes([q]).embeds[0].description
    assert d.endswith(f"[*Ferry returns*, 2024-05-17, § Passengers, ¶2]({url})")
    source = SourceInfo("ferry.html", "Ferry returns", "2024-05-17", None, 6, 12, url=url)
    person = Person("Lars Berg", (), (), (Mention("ferry.html", 6, None, "Passengers", 2),), (q,))
    fields = {f.name: f.value for f in render_person(person, sources=[source]).embeds[0].fields}
    assert fields["Mentioned in"] == f"• [*Ferry returns*, 2024-05-17, § Passengers, ¶2]({url})"
    assert f"[*Ferry returns*]({url}) — 2024-05-17" in render_sources([source]).embeds[0].description
    for parts in (render_quotes([q] * 12), render_person(person, sources=[source])):
        assert_within_limits(parts)


def test_ten_linked_results_a_page_stay_within_the_limits() -> None:
    url = "https://herald.example/" + "segment/" * 50  # 423 characters
    results = tuple(located(f"Sentence {i} " + "word " * 300, url=url, title="T" * 300) for i in range(10))
    parts = render_answer(Answer("q", True, None, results), per_page=10)
    assert_within_limits(parts)
    assert all(f"Sentence {i}" in parts.embeds[0].description for i in range(10))
    linked = render_answer(Answer("q", True, None, results[:3]), per_page=3)
    assert linked.embeds[0].description.count(f"]({url})") == 3  # room for the link at 3 a page


def test_the_console_prints_the_url_after_the_citation() -> None:
    p = located(url="https://herald.example/a b", section="Funding")
    text = console.answer_to_text(Answer("q", True, None, (p,)))
    assert "— Ferry returns, 2025-01-23, § Funding, p. 3, ¶2 <https://herald.example/a%20b>" in text
    assert "<" not in console.answer_to_text(Answer("q", True, None, (located(url="javascript:x"),)))
