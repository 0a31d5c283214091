"""The hazard log (docs/safety/hazard-log.md) holds together, and its evidence is real.

DCB0129 asks a manufacturer to evidence each control of each hazard. Here the evidence of
a design or test control is a test of this suite, named ``tests/test_file.py::test_name``
(a parametrised id such as ``test_name[case]`` names the function ``test_name``). The log
is parsed and fails the suite when:

- a named test does not exist (no such file, or no such function in it), or would not
  run in ``make test`` (marked ``slow`` or ``skip``);
- a closed hazard has no mitigation, no test, or a design or test mitigation without a
  test; a mitigation without a test must say "No test" (and its hazard is then open);
- a hazard id repeats or is malformed, or a field is missing;
- a risk rating disagrees with the DCB0129 matrix, the residual risk exceeds the
  initial one, or the summary table disagrees with the entries;
- a flag code CarePlan raises has no hazard, or the log names a code that does not exist;
- the safety case's list of open hazards is not exactly the log's open hazards, or its
  count of hazards is not the log's.

Each check is a function returning the problems it finds; the last tests feed it broken
logs to show that it finds them.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from careplan.models.flags import FlagCode

ROOT = Path(__file__).resolve().parent.parent
LOG = ROOT / "docs" / "safety" / "hazard-log.md"
CASE = ROOT / "docs" / "safety" / "safety-case.md"

SEVERITIES = ("minor", "significant", "considerable", "major", "catastrophic")
LIKELIHOODS = ("very low", "low", "medium", "high", "very high")

#: DCB0129's risk matrix: MATRIX[likelihood][severity] is the risk rating 1 to 5.
MATRIX: dict[str, dict[str, int]] = {
    "very high": dict(zip(SEVERITIES, (3, 4, 4, 5, 5), strict=True)),
    "high": dict(zip(SEVERITIES, (2, 3, 3, 4, 5), strict=True)),
    "medium": dict(zip(SEVERITIES, (2, 2, 3, 3, 4), strict=True)),
    "low": dict(zip(SEVERITIES, (1, 2, 2, 3, 4), strict=True)),
    "very low": dict(zip(SEVERITIES, (1, 1, 2, 2, 3), strict=True)),
}

FIELDS = ("Status", "Description", "Causes", "Effect", "Harm", "Initial risk", "Mitigations",
          "Residual risk", "Open items")
PROVEN_KINDS = ("Design", "Test")  # must name a test; Training and Labels may not
KINDS = (*PROVEN_KINDS, "Training", "Labels")

HEADING = re.compile(r"^## (?P<id>\S+): (?P<title>.+)$")
HAZARD_ID = re.compile(r"HAZ-\d{3}")
FIELD = re.compile(r"^- \*\*(?P<name>[^*]+?):\*\*\s?(?P<text>.*)$")
MITIGATION = re.compile(r"^  - \*(?P<kind>[^*:]+):\*\s?(?P<text>.*)$")
BACKTICKED_TEST = re.compile(r"`(tests/[^`]*)`")
TEST_REF = re.compile(r"tests/(?P<file>test_\w+\.py)::(?:(?P<cls>Test\w+)::)?"
                      r"(?P<func>test_\w+)(?:\[[^\]`]+\])?")
TEST_FILE = re.compile(r"tests/test_\w+\.py")
RISK = re.compile(r"^severity (?P<s>[a-z ]+); likelihood (?P<l>[a-z ]+); risk (?P<r>\d)\s*$")


@dataclass
class Mitigation:
    kind: str
    text: str

    @property
    def tests(self) -> list[str]:
        return [ref for ref in BACKTICKED_TEST.findall(self.text) if "::" in ref]


@dataclass
class Hazard:
    id: str
    title: str
    fields: dict[str, str] = field(default_factory=dict)
    mitigations: list[Mitigation] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.fields.get("Status", "").strip()

    @property
    def codes(self) -> list[str]:
        return re.findall(r"`([^`]+)`", self.fields.get("Flag codes", ""))


def parse(text: str) -> list[Hazard]:
    """The hazards of a log: each ``## HAZ-NNN: title`` section, its ``- **Field:**``
    lines (with their continuation lines) and, under Mitigations, its ``- *Kind:*``
    items."""
    hazards: list[Hazard] = []
    current: Hazard | None = None
    name = ""
    for line in text.splitlines():
        if line.startswith("## "):
            heading = HEADING.match(line)
            current = None
            if heading and heading["id"].startswith("HAZ"):
                current = Hazard(heading["id"], heading["title"].strip())
                hazards.append(current)
            continue
        if current is None:
            continue
        found = FIELD.match(line)
        if found:
            name = found["name"].strip()
            if name in current.fields:
                current.problems.append(f"{current.id}: the field {name} is given twice")
            current.fields[name] = found["text"]
            continue
        if not name or not line.strip():
            continue
        current.fields[name] += "\n" + line
        if name != "Mitigations":
            continue
        item = MITIGATION.match(line)
        if item:
            current.mitigations.append(Mitigation(item["kind"].strip(), item["text"]))
        elif line.startswith("    ") and current.mitigations:
            current.mitigations[-1].text += "\n" + line.strip()
        else:
            current.problems.append(f"{current.id}: a mitigation must be an item "
                                    f"'  - *Kind:* ...': {line.strip()!r}")
    return hazards


# -- the checks --------------------------------------------------------------------------


def _defined_tests(module: Path) -> dict[str, list[str]]:
    """``name`` (or ``Class::name``) of each test function in ``module``, with the
    source of its decorators."""
    tree = ast.parse(module.read_text(encoding="utf-8"), filename=str(module))
    found: dict[str, list[str]] = {}

    def functions(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                found[prefix + node.name] = [ast.unparse(d) for d in node.decorator_list]
            elif isinstance(node, ast.ClassDef) and not prefix:
                functions(node.body, f"{node.name}::")

    functions(tree.body, "")
    return found


def reference_problems(refs: list[str], root: Path = ROOT) -> list[str]:
    """What is wrong with each ``tests/...`` reference: its form, its file, its function,
    or a marker that keeps it out of ``make test``."""
    problems: list[str] = []
    modules: dict[str, dict[str, list[str]]] = {}
    for ref in refs:
        if TEST_FILE.fullmatch(ref):  # a file named as such, not as evidence
            if not (root / ref).is_file():
                problems.append(f"{ref}: there is no such file")
            continue
        form = TEST_REF.fullmatch(ref)
        if form is None:
            problems.append(f"{ref}: not of the form tests/test_file.py::test_name")
            continue
        path = root / "tests" / form["file"]
        if not path.is_file():
            problems.append(f"{ref}: there is no file tests/{form['file']}")
            continue
        if form["file"] not in modules:
            modules[form["file"]] = _defined_tests(path)
        name = (f"{form['cls']}::" if form["cls"] else "") + form["func"]
        decorators = modules[form["file"]].get(name)
        if decorators is None:
            problems.append(f"{ref}: tests/{form['file']} defines no {name}")
        elif any(re.search(r"\bmark\.(slow|skip)\b", d) for d in decorators):
            problems.append(f"{ref}: marked slow or skip, so make test does not run it")
    return problems


def structure_problems(hazards: list[Hazard]) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for h in hazards:
        problems += h.problems
        if not HAZARD_ID.fullmatch(h.id):
            problems.append(f"{h.id}: a hazard id is HAZ- and three digits")
        if h.id in seen:
            problems.append(f"{h.id}: the id is used twice")
        seen.add(h.id)
        missing = [f for f in FIELDS if not h.fields.get(f, "").strip()
                   and not (f == "Mitigations" and h.mitigations)]
        if missing:
            problems.append(f"{h.id}: no {', '.join(missing)}")
        if h.status not in ("open", "closed"):
            problems.append(f"{h.id}: status {h.status!r} is neither open nor closed")
        for m in h.mitigations:
            if m.kind not in KINDS:
                problems.append(f"{h.id}: {m.kind!r} is not a kind of mitigation "
                                f"({', '.join(KINDS)})")
    if not hazards:
        problems.append("the log holds no hazard")
    return problems


def evidence_problems(hazards: list[Hazard]) -> list[str]:
    """A closed hazard: mitigations, each design and test one proven by a test. Any
    hazard: a design or test mitigation without a test says so ("No test")."""
    problems: list[str] = []
    for h in hazards:
        closed = h.status == "closed"
        if closed and not h.mitigations:
            problems.append(f"{h.id}: closed with no mitigation")
        if closed and not any(m.tests for m in h.mitigations):
            problems.append(f"{h.id}: closed with no test")
        for n, m in enumerate(h.mitigations, 1):
            untested = m.kind in PROVEN_KINDS and not m.tests
            if untested and "No test" not in m.text:
                problems.append(f"{h.id}: mitigation {n} ({m.kind}) names no test and "
                                "does not say No test")
            if closed and (untested or "No test" in m.text):
                problems.append(f"{h.id}: closed, but mitigation {n} ({m.kind}) has no "
                                "test: the hazard is open")
    return problems


def _risk(h: Hazard, name: str, problems: list[str]) -> tuple[str, str, int] | None:
    found = RISK.match(h.fields.get(name, "").strip())
    if found is None:
        problems.append(f"{h.id}: {name} must read 'severity S; likelihood L; risk R'")
        return None
    s, lk, r = found["s"], found["l"], int(found["r"])
    if s not in SEVERITIES or lk not in LIKELIHOODS:
        problems.append(f"{h.id}: {name}: {s!r} or {lk!r} is not a DCB0129 category")
        return None
    if MATRIX[lk][s] != r:
        problems.append(f"{h.id}: {name}: {s} and {lk} make risk {MATRIX[lk][s]}, not {r}")
    return s, lk, r


def risk_problems(hazards: list[Hazard]) -> list[str]:
    problems: list[str] = []
    for h in hazards:
        initial = _risk(h, "Initial risk", problems)
        residual = _risk(h, "Residual risk", problems)
        if initial and residual and residual[2] > initial[2]:
            problems.append(f"{h.id}: the residual risk is above the initial risk")
    return problems


def summary_problems(text: str, hazards: list[Hazard]) -> list[str]:
    """The summary table's rows (id, hazard, initial, residual, status) are the
    entries'."""
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and HAZARD_ID.fullmatch(cells[0]):
            rows[cells[0]] = (cells[2], cells[3], cells[4])
    problems = []
    for h in hazards:
        risks = [RISK.match(h.fields.get(f, "").strip()) for f in ("Initial risk",
                                                                   "Residual risk")]
        entry = tuple(m["r"] if m else "?" for m in risks) + (h.status,)
        if h.id not in rows:
            problems.append(f"{h.id}: not in the summary table")
        elif rows[h.id] != entry:
            problems.append(f"{h.id}: the summary says {rows[h.id]}, the entry {entry}")
    problems += [f"{i}: in the summary table but not in the log"
                 for i in sorted(set(rows) - {h.id for h in hazards})]
    return problems


def flag_code_problems(hazards: list[Hazard]) -> list[str]:
    named = {c for h in hazards for c in h.codes}
    codes = {c.value for c in FlagCode}
    return ([f"{c}: CarePlan raises this flag code and no hazard names it"
             for c in sorted(codes - named)]
            + [f"{c}: named as a flag code, but CarePlan has no such code"
               for c in sorted(named - codes)])


def open_in_case(case_text: str) -> set[str]:
    """The hazard ids the safety case lists under its heading "What is still open"."""
    part = re.split(r"^## What is still open.*$", case_text, maxsplit=1, flags=re.M)
    if len(part) < 2:
        return set()
    section = re.split(r"^## ", part[1], maxsplit=1, flags=re.M)[0]
    return set(HAZARD_ID.findall(section))


def matrix_in(text: str) -> dict[str, dict[str, int]]:
    """The risk matrix as the log prints it."""
    found: dict[str, dict[str, int]] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0] in LIKELIHOODS and all(c.isdigit() for c in cells[1:]):
            found[cells[0]] = dict(zip(SEVERITIES, map(int, cells[1:]), strict=True))
    return found


# -- the log ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def text() -> str:
    return LOG.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def hazards(text: str) -> list[Hazard]:
    return parse(text)


def test_every_named_test_exists_and_runs_in_make_test(text: str) -> None:
    refs = BACKTICKED_TEST.findall(text)
    assert len(refs) > 100  # the log's evidence, not a vacuous pass
    assert reference_problems(refs) == []


def test_every_hazard_has_a_unique_id_and_every_field(hazards: list[Hazard]) -> None:
    assert structure_problems(hazards) == []


def test_closed_hazards_are_mitigated_and_every_mitigation_is_proven_or_says_not(
        hazards: list[Hazard]) -> None:
    assert evidence_problems(hazards) == []
    assert [h.id for h in hazards if h.status == "open"], "no hazard is open: check the log"


def test_risk_ratings_follow_the_dcb0129_matrix(text: str, hazards: list[Hazard]) -> None:
    assert matrix_in(text) == MATRIX
    assert risk_problems(hazards) == []


def test_the_summary_table_agrees_with_the_entries(text: str, hazards: list[Hazard]) -> None:
    assert summary_problems(text, hazards) == []


def test_every_flag_code_has_a_hazard(hazards: list[Hazard]) -> None:
    assert flag_code_problems(hazards) == []


def test_the_safety_case_lists_exactly_the_open_hazards(hazards: list[Hazard]) -> None:
    case = CASE.read_text(encoding="utf-8")
    opened = {h.id for h in hazards if h.status == "open"}
    assert open_in_case(case) == opened
    counted = re.search(r"(\d+) hazards: (\d+) closed, (\d+) open", case)
    assert counted is not None, "the safety case says how many hazards are closed and open"
    assert tuple(map(int, counted.groups())) == (len(hazards), len(hazards) - len(opened),
                                                 len(opened))


# -- the checks find what they look for ---------------------------------------------------

GOOD = """\
# A log

| id | hazard | initial | residual | status |
|---|---|---|---|---|
| HAZ-001 | one | 3 | 2 | closed |
| HAZ-002 | two | 3 | 3 | open |

## HAZ-001: a flag not raised

- **Status:** closed
- **Flag codes:** `transition-18`
- **Description:** d
- **Causes:**
  1. c
- **Effect:** e
- **Harm:** h
- **Initial risk:** severity major; likelihood medium; risk 3
- **Mitigations:**
  - *Design:* the rule. Tests:
    `tests/test_flags_transition.py::test_29_february_birthdays_fall_on_1_march`,
    `tests/test_flags_safety.py::test_today_is_the_date_in_england[instant0-day0]`.
  - *Training:* the README.
- **Residual risk:** severity major; likelihood very low; risk 2
- **Open items:** none.

## Another section

## HAZ-002: an open one

- **Status:** open
- **Description:** d
- **Causes:** c
- **Effect:** e
- **Harm:** h
- **Initial risk:** severity considerable; likelihood high; risk 3
- **Mitigations:**
  - *Design:* not built. **No test**.
- **Residual risk:** severity considerable; likelihood high; risk 3
- **Open items:** build it.
"""


def _all_problems(text: str) -> list[str]:
    hazards = parse(text)
    refs = BACKTICKED_TEST.findall(text)
    return (reference_problems(refs) + structure_problems(hazards)
            + evidence_problems(hazards) + risk_problems(hazards)
            + summary_problems(text, hazards))


def test_a_sound_log_passes_every_check() -> None:
    hazards = parse(GOOD)
    assert [(h.id, h.status, len(h.mitigations)) for h in hazards] == [
        ("HAZ-001", "closed", 2), ("HAZ-002", "open", 1)]
    assert hazards[0].mitigations[0].tests == [
        "tests/test_flags_transition.py::test_29_february_birthdays_fall_on_1_march",
        "tests/test_flags_safety.py::test_today_is_the_date_in_england[instant0-day0]"]
    assert hazards[0].codes == ["transition-18"]
    assert _all_problems(GOOD) == []


@pytest.mark.parametrize(("old", "new", "problem"), [
    ("test_29_february_birthdays_fall_on_1_march", "test_30_february",
     "tests/test_flags_transition.py defines no test_30_february"),
    ("tests/test_flags_transition.py::", "tests/test_no_such_file.py::",
     "there is no file tests/test_no_such_file.py"),
    ("tests/test_flags_transition.py::", "tests/test_flags_transition.py:",
     "not of the form tests/test_file.py::test_name"),
    ("tests/test_flags_transition.py::test_29_february_birthdays_fall_on_1_march",
     "tests/test_crash_safety.py::test_killed_writer_soak",
     "marked slow or skip, so make test does not run it"),
    ("## HAZ-002:", "## HAZ-001:", "HAZ-001: the id is used twice"),
    ("## HAZ-002:", "## HAZ-2:", "HAZ-2: a hazard id is HAZ- and three digits"),
    ("- **Harm:** h\n- **Initial risk:** severity major", "- **Initial risk:** severity major",
     "HAZ-001: no Harm"),
    ("- **Status:** open", "- **Status:** transferred",
     "HAZ-002: status 'transferred' is neither open nor closed"),
    ("  - *Training:* the README.", "  - *Hope:* the README.",
     "HAZ-001: 'Hope' is not a kind of mitigation"),
    ("- **Status:** open", "- **Status:** closed",
     "HAZ-002: closed, but mitigation 1 (Design) has no test: the hazard is open"),
    ("not built. **No test**.", "not built.",
     "HAZ-002: mitigation 1 (Design) names no test and does not say No test"),
    ("  - *Training:* the README.", "  - *Test:* it works.",
     "HAZ-001: mitigation 2 (Test) names no test and does not say No test"),
    ("likelihood very low; risk 2", "likelihood very low; risk 1",
     "HAZ-001: Residual risk: major and very low make risk 2, not 1"),
    ("severity considerable; likelihood high; risk 3\n- **Mitigations:**",
     "severity considerable; likelihood low; risk 2\n- **Mitigations:**",
     "HAZ-002: the residual risk is above the initial risk"),
    ("likelihood medium; risk 3", "likelihood sometimes; risk 3",
     "HAZ-001: Initial risk: 'major' or 'sometimes' is not a DCB0129 category"),
    ("| HAZ-002 | two | 3 | 3 | open |", "| HAZ-002 | two | 3 | 3 | closed |",
     "HAZ-002: the summary says ('3', '3', 'closed'), the entry ('3', '3', 'open')"),
    ("| HAZ-002 | two | 3 | 3 | open |", "| HAZ-003 | two | 3 | 3 | open |",
     "HAZ-003: in the summary table but not in the log"),
])
def test_each_check_finds_what_it_looks_for(old: str, new: str, problem: str) -> None:
    assert GOOD.count(old) >= 1
    found = _all_problems(GOOD.replace(old, new, 1))
    assert any(problem in p for p in found), found


def test_a_closed_hazard_needs_a_mitigation_and_a_test() -> None:
    bare = re.sub(r"- \*\*Mitigations:\*\*\n(  .*\n)+", "- **Mitigations:** none\n", GOOD,
                  count=1)
    hazards = parse(bare)
    assert hazards[0].mitigations == []
    assert evidence_problems(hazards)[:2] == ["HAZ-001: closed with no mitigation",
                                              "HAZ-001: closed with no test"]


def test_flag_codes_are_checked_both_ways() -> None:
    hazards = parse(GOOD.replace("`transition-18`", "`transition-18`, `transition-81`"))
    problems = flag_code_problems(hazards)
    assert "transition-81: named as a flag code, but CarePlan has no such code" in problems
    assert "discharge-delayed: CarePlan raises this flag code and no hazard names it" in (
        problems)
    assert "transition-18: CarePlan raises this flag code and no hazard names it" not in (
        problems)


def test_the_open_hazards_are_read_from_their_section_of_the_safety_case() -> None:
    case = ("# Case\n\nHAZ-009 is mentioned here.\n\n## What is still open\n\n"
            "- HAZ-002: build it\n- HAZ-004 and HAZ-005\n\n## Sources\n\nHAZ-007\n")
    assert open_in_case(case) == {"HAZ-002", "HAZ-004", "HAZ-005"}
    assert open_in_case("# Case\n\nHAZ-002\n") == set()
