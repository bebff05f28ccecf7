"""People: names, aliases, roles, mentions and lookup, on the seed article and on an article
the tests write themselves (other names, particles, roles, an organisation that looks like a
person)."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from retrieval.documents.loading import load_documents, parse_document
from retrieval.models import Role
from retrieval.people import AliasMatcher, PersonMatch, extract_people, find_person
from retrieval.people import extract as people_module
from retrieval.people import nlp as nlp_module

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
SEED_DOC = "000_456f3f2e67ceee91.txt"

SEED_PEOPLE = {
    "Hafiz Naeem ur Rehman",
    "Hassan Darwish",
    "Khaled Mashal",
    "Khalil Al-Hayya",
    "Asif Luqman Qazi",
    "Ismail Haniyeh",
    "Yahya Sinwar",
}
SEED_NOT_PEOPLE = [
    "Hamas",
    "Jamaat-e-Islami",
    "JI",
    "Al-Khidmat Foundation",
    "The Al-Khidmat Foundation",
    "Gaza",
    "Pakistan",
    "Doha",
    "Palestine",
    "Israel",
    "Palestinians",
    "Pakistanis",
    "Allah",
    "Muslim Ummah",
    "Prime Minister",
    "Foreign Affairs",
]

BRIDGE = """date 2025-03-02
Rotterdam - Mayor Jane van der Berg opened the new harbour bridge on Saturday, joined by the company's chief executive, Omar bin Said, former minister Pieter de Vries and Brightwater Holdings spokesperson Lena Okafor.

"This bridge joins the two halves of our city. It took eleven years to build," Van der Berg said.

Omar bin Said said: “Our engineers worked through three hard winters. We are proud of every single rivet.”

“Nobody expected the steel price to double,” Okafor told reporters.

Morgan Ashby, the construction firm that built the foundations, said in a statement that it would open a training centre. Morgan Ashby executives declined to comment further.

Morgan Ashby said the work finished two weeks early.

Van der Berg thanked the Ministry of Infrastructure and announced a second bridge for 2030.
"""
BRIDGE_PEOPLE = {"Jane van der Berg", "Omar bin Said", "Pieter de Vries", "Lena Okafor"}


@pytest.fixture(scope="module")
def seed_docs():
    result = load_documents(SEEDS)
    docs = [d for d in result.documents if d.doc == SEED_DOC]
    assert docs, "the seed article is missing"
    return docs


@pytest.fixture(scope="module")
def seed_people(seed_docs):
    return extract_people(seed_docs)


@pytest.fixture(scope="module")
def bridge_docs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bridge")
    (folder / "bridge.txt").write_text(BRIDGE, encoding="utf-8")
    return list(load_documents(folder).documents)


@pytest.fixture(scope="module")
def bridge_people(bridge_docs):
    return extract_people(bridge_docs)


def by_name(people, name):
    found = [p for p in people if p.name == name]
    assert len(found) == 1, f"{name!r} not found once in {[p.name for p in people]}"
    return found[0]


def every_name(people):
    return {a.casefold() for p in people for a in (p.name, *p.aliases)}


# ------------------------------------------------------------------------------ the seed


def test_seed_finds_exactly_the_people_named(seed_people):
    assert {p.name for p in seed_people} == SEED_PEOPLE


def test_seed_lists_no_organisation_place_people_or_deity(seed_people):
    names = every_name(seed_people)
    for word in SEED_NOT_PEOPLE:
        assert word.casefold() not in names, word


def test_people_come_in_order_of_first_mention(seed_people):
    assert [p.name for p in seed_people][:3] == ["Hafiz Naeem ur Rehman", "Hassan Darwish", "Khaled Mashal"]


def test_partial_names_resolve_to_the_full_name(seed_people):
    rehman = by_name(seed_people, "Hafiz Naeem ur Rehman")
    assert {"Hafiz Naeem", "Rehman", "Emir Hafiz Naeem ur Rehman"} <= set(rehman.aliases)
    darwish = by_name(seed_people, "Hassan Darwish")
    assert "Darwish" in darwish.aliases
    # nobody is listed under a partial name of their own
    assert not {"Hafiz Naeem", "Rehman", "Darwish", "Naeem ur Rehman"} & {p.name for p in seed_people}


def test_name_particles_and_titles_stay_with_the_name(seed_people):
    hayya = by_name(seed_people, "Khalil Al-Hayya")
    assert "Dr. Khalil Al-Hayya" in hayya.aliases
    assert "Al-Hayya" in hayya.aliases
    assert by_name(seed_people, "Hafiz Naeem ur Rehman").name.split()[2] == "ur"


@pytest.mark.parametrize(
    "query",
    ["rehman", "Hafiz Naeem", "HAFIZ NAEEM UR REHMAN", "Emir Hafiz Naeem ur Rehman", "hafiz", "Rehman’s"],
)
def test_aliases_resolve_to_the_same_person(seed_people, query):
    match = find_person(seed_people, query)
    assert match.person is not None, match
    assert match.person.name == "Hafiz Naeem ur Rehman"


def test_every_alias_finds_its_own_person(seed_people):
    for person in seed_people:
        for alias in (person.name, *person.aliases):
            assert find_person(seed_people, alias).person == person, alias


def test_roles_as_the_text_states_them(seed_people):
    assert set(by_name(seed_people, "Hassan Darwish").roles) == {
        Role("current head", "Hamas"),
        Role("leader", "Hamas"),
    }
    assert by_name(seed_people, "Khaled Mashal").roles == (Role("former chief", "Hamas"),)
    assert by_name(seed_people, "Khalil Al-Hayya").roles == (Role("central leader", "Hamas"),)
    assert by_name(seed_people, "Asif Luqman Qazi").roles == (Role("Director of Foreign Affairs", "JI"),)
    assert by_name(seed_people, "Hafiz Naeem ur Rehman").roles == (Role("Emir", "Jamaat-e-Islami"),)


def test_people_named_in_passing_have_no_roles(seed_people):
    for name in ("Ismail Haniyeh", "Yahya Sinwar"):
        person = by_name(seed_people, name)
        assert person.roles == ()
        assert [(m.doc, m.paragraph) for m in person.mentions] == [(SEED_DOC, 4)]


def test_mentions_by_any_alias_but_not_by_pronoun(seed_people):
    rehman = by_name(seed_people, "Hafiz Naeem ur Rehman")
    # ¶2 "Hafiz Naeem", ¶3/6/7 "Rehman"; ¶4's unattributed quote and ¶5 do not name him
    assert [m.paragraph for m in rehman.mentions] == [1, 2, 3, 6, 7]
    assert {m.doc for m in rehman.mentions} == {SEED_DOC}
    assert [m.paragraph for m in by_name(seed_people, "Hassan Darwish").mentions] == [1, 5]


def test_person_json_shape(seed_people):
    data = by_name(seed_people, "Hassan Darwish").to_json()
    assert data["name"] == "Hassan Darwish"
    assert "current head, Hamas" in data["roles"]
    # page and section are null in a text file without headings
    assert data["mentions"] == [{"doc": SEED_DOC, "paragraph": 1, "page": None, "section": None},
                                {"doc": SEED_DOC, "paragraph": 5, "page": None, "section": None}]
    assert data["quotes"] == 1


# ------------------------------------------------------------------------------ lookup


def test_a_typo_is_tolerated(seed_people):
    assert find_person(seed_people, "Darwsh").person.name == "Hassan Darwish"
    assert find_person(seed_people, "Khaled Mashaal").person.name == "Khaled Mashal"


def test_unknown_person_gets_none_and_the_closest_names(seed_people):
    match = find_person(seed_people, "Hassan Nasrallah")
    assert match.person is None
    assert match.suggestions and match.suggestions[0] == "Hassan Darwish"
    assert set(match.suggestions) <= SEED_PEOPLE
    empty = find_person(seed_people, "Zzyzx Qwerty")
    assert empty.person is None and empty.suggestions


def test_an_organisation_is_not_found_as_a_person(seed_people):
    for name in ("Hamas", "Jamaat-e-Islami", "Gaza"):
        assert find_person(seed_people, name).person is None, name


def test_an_ambiguous_name_is_not_guessed():
    doc = parse_document(
        "khan.txt",
        "Former prime minister Imran Khan met the lawyer Sara Khan, a senior advocate, in Lahore. "
        "Khan said later that the meeting had gone well.",
    )
    people = extract_people([doc])
    assert {"Imran Khan", "Sara Khan"} <= {p.name for p in people}
    match = find_person(people, "Khan")
    assert match.person is None and match.ambiguous
    assert set(match.suggestions) == {"Imran Khan", "Sara Khan"}
    assert find_person(people, "sara khan").person.name == "Sara Khan"


def test_find_person_on_no_people():
    assert find_person([], "anyone") == PersonMatch(None, [])


# ------------------------------------------------------------------------------ second article


def test_second_article_people(bridge_people):
    assert {p.name for p in bridge_people} == BRIDGE_PEOPLE
    names = every_name(bridge_people)
    for word in ("Morgan Ashby", "Brightwater Holdings", "Rotterdam", "Ministry of Infrastructure", "Mayor"):
        assert word.casefold() not in names, word


def test_second_article_roles(bridge_people):
    assert by_name(bridge_people, "Jane van der Berg").roles == (Role("Mayor"),)
    assert by_name(bridge_people, "Omar bin Said").roles == (Role("chief executive"),)
    assert by_name(bridge_people, "Pieter de Vries").roles == (Role("former minister"),)
    assert by_name(bridge_people, "Lena Okafor").roles == (Role("spokesperson", "Brightwater Holdings"),)


@pytest.mark.parametrize(
    "query, name",
    [
        ("van der berg", "Jane van der Berg"),
        ("Van der Berg", "Jane van der Berg"),
        ("Jane", "Jane van der Berg"),
        ("Mayor Jane van der Berg", "Jane van der Berg"),
        ("bin said", "Omar bin Said"),
        ("Omar", "Omar bin Said"),
        ("okafor", "Lena Okafor"),
        ("de Vries", "Pieter de Vries"),
    ],
)
def test_second_article_aliases(bridge_people, query, name):
    assert find_person(bridge_people, query).person.name == name


def test_second_article_mentions_by_surname_with_particles(bridge_people):
    # ¶2 and ¶7 name her only as "Van der Berg"
    assert [m.paragraph for m in by_name(bridge_people, "Jane van der Berg").mentions] == [1, 2, 7]
    assert [m.paragraph for m in by_name(bridge_people, "Lena Okafor").mentions] == [1, 4]


def test_people_across_documents(seed_docs, bridge_docs):
    people = extract_people([*seed_docs, *bridge_docs])
    assert {p.name for p in people} == SEED_PEOPLE | BRIDGE_PEOPLE
    assert {m.doc for m in by_name(people, "Jane van der Berg").mentions} == {"bridge.txt"}


def test_a_defined_abbreviation_resolves_the_organisation():
    doc = parse_document(
        "ji.txt",
        "Jamaat-e-Islami (JI) held a rally in Lahore. JI's Director of Foreign Affairs, Asif Luqman Qazi, "
        "spoke to the crowd.",
    )
    qazi = by_name(extract_people([doc]), "Asif Luqman Qazi")
    assert qazi.roles == (Role("Director of Foreign Affairs", "Jamaat-e-Islami"),)


def test_a_role_in_apposition_after_the_name():
    doc = parse_document(
        "after.txt",
        "Imran Khan, the former prime minister, did not attend. Sara Malik, a spokeswoman for the "
        "Al-Khidmat Foundation, said the tents had arrived.",
    )
    people = extract_people([doc])
    assert by_name(people, "Imran Khan").roles == (Role("former prime minister"),)
    assert by_name(people, "Sara Malik").roles == (Role("spokeswoman", "Al-Khidmat Foundation"),)


# ------------------------------------------------------------------------------ without spaCy


def test_without_spacy_patterns_still_find_the_titled_people(seed_docs, monkeypatch):
    monkeypatch.setattr(nlp_module, "get_nlp", lambda: None)
    people = extract_people(seed_docs)
    names = {p.name for p in people}
    # the people with a title, role or attribution; the two named in passing need the model
    assert SEED_PEOPLE - {"Ismail Haniyeh", "Yahya Sinwar"} <= names
    assert names <= SEED_PEOPLE
    assert find_person(people, "Rehman").person.name == "Hafiz Naeem ur Rehman"


def test_no_spacy_model_logs_a_warning_and_does_not_crash(monkeypatch, caplog):
    monkeypatch.setattr(nlp_module, "SPACY_MODELS", ("citebot_no_such_model",))
    with caplog.at_level(logging.WARNING, logger="retrieval.people.nlp"):
        assert nlp_module._load_spacy() is None
    assert "patterns alone" in caplog.text


def test_spacy_is_loaded_once():
    first = nlp_module.get_nlp()
    assert first is not None  # the test environment has the model installed
    assert nlp_module.get_nlp() is first
    # the parser is kept for the sentence structure stored with the index; these are not used
    assert "parser" in first.pipe_names and "lemmatizer" not in first.pipe_names


# ------------------------------------------------------------------------------ size


def test_fifty_documents_in_reasonable_time(tmp_path):
    nlp_module.get_nlp()  # loading the model is not what we measure
    for i in range(50):
        (tmp_path / f"{i:03}.txt").write_text(BRIDGE, encoding="utf-8")
    docs = load_documents(tmp_path).documents
    started = time.perf_counter()
    people = extract_people(docs)
    elapsed = time.perf_counter() - started
    assert elapsed < 20, elapsed
    assert len(by_name(people, "Jane van der Berg").mentions) == 150


def test_alias_matching_takes_the_longest_whole_alias():
    matcher = AliasMatcher(
        {"Hafiz Naeem": {"rehman"}, "Hafiz Naeem ur Rehman": {"rehman"}, "Rehman": {"rehman"}, "van der Berg": {"berg"}, "Hamas": {"hamas"}}
    )
    text = "Hafiz Naeem ur Rehman met Van der Berg; Hafiz Naeem ur Rehmani, Hamas's envoy, and Rehman's aide did not."
    found = [(text[a:b], keys) for a, b, keys in matcher.finditer(text)]
    # The longest alias wins; where it runs into a longer word the shorter one that ends on a
    # word boundary does; the first letter may be either case; "Hamas's" is Hamas.
    assert found == [
        ("Hafiz Naeem ur Rehman", {"rehman"}),
        ("Van der Berg", {"berg"}),
        ("Hafiz Naeem", {"rehman"}),
        ("Hamas", {"hamas"}),
        ("Rehman", {"rehman"}),
    ]


# ------------------------------------------------------------------------------ package shape


def test_the_people_modules_import_each_other_without_a_cycle():
    """Every import inside ``retrieval/people`` counts, those inside functions too (that is
    how extraction and quotes used to import each other): the graph must have an order."""
    import ast
    import graphlib

    folder = Path(people_module.__file__).parent
    modules = {path.stem for path in folder.glob("*.py")} - {"__init__"}
    graph: dict[str, set[str]] = {}
    for name in modules:
        tree = ast.parse((folder / f"{name}.py").read_text(encoding="utf-8"))
        found: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                found.update([node.module.split(".")[0]] if node.module else [a.name for a in node.names])
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("retrieval.people."):
                found.add(node.module.split(".")[2])
            elif isinstance(node, ast.Import):
                found.update(a.name.split(".")[2] for a in node.names if a.name.startswith("retrieval.people."))
        graph[name] = found & modules
    assert len(graph) >= 10 and graph["quotes"]  # the walk found the package and its imports
    try:
        list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        pytest.fail(f"import cycle in retrieval/people: {' -> '.join(exc.args[1])}")
