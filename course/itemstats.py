"""Item statistics for a question bank, as Moodle's quiz statistics report defines them. Pure: no I/O.

Definitions (Moodle developer docs, "Quiz statistics calculations", docs.moodle.org/dev/Quiz_statistics_calculations,
and the code that implements them, moodle/moodle question/classes/statistics/questions/calculator.php,
`initial_question_walker` and `secondary_question_walker`):

- x = the score on this question in an attempt, y = the score on the rest of the quiz in that attempt
  (the attempt's total minus x). Statistics of a question run over the attempts that had it.
- Facility index F = 100 × mean(x) / max mark: "the mean score of students on the item".
- Discrimination index D = 100 × Cov(x, y) / sqrt(Var(x) · Var(y)), the product-moment correlation of the
  question's score with the rest of the quiz, with sample (n − 1) variances; Moodle leaves it empty when either
  variance is zero (everyone right, or everyone wrong).
- The percent choosing each option: the "analysis of responses" of the report, per option of the question in its
  original order (a multiple-choice question's percents need not add up to 100).

Which attempts: Moodle's default is each person's first attempt, because later attempts come after feedback
and "probably do not satisfy the assumptions that underlie item analysis". Here it matters more than in most
quizzes: a failed quiz shows what was wrong, so a retry mostly measures that feedback, not what people knew.
The queries in progress.analytics_queries take the first finished attempt unless asked for all of them.

Flags, from the guidance on reading the report (MoodleDocs "Quiz report statistics",
docs.moodle.org/28/en/Development:Quiz_report_statistics, reproduced in the Open University's "Moodle Quiz (iCMA)
reports", 4.2 Question statistics; the facility table:
"90–94 very easy, 95–100 extremely easy"; "11–20 difficult, 6–10 very difficult, 5 or less extremely difficult
or something wrong with the question"; a negative discrimination index means that those who did worse on the
rest of the quiz did better on this question, which points to a wrong key or a misleading text):
- too easy: F ≥ TOO_EASY_FROM; too hard: F < TOO_HARD_BELOW; negative discrimination: D < 0;
- too few attempts: n < MIN_ATTEMPTS. Moodle states no number; with 30 attempts the 95 % interval of a
  correlation near zero is still about ±0.37 (1.96 / sqrt(n − 3)), so below that the other flags are a hint.

Scores are 0 or 1 here (a question is right or wrong, i.e. given full credit: an ordering question's partial
credit counts in the quiz's score, not in its item statistics; certainty-based marking is a separate signal), so
every sum is an integer: the database can add them up (progress.analytics_queries), and this module turns the sums
into the indexes exactly, with no second pass over the rows.

What the analytics page counts about a bank (questions asked, flagged, on the chart) is `BankStatistics`, and the
banks it offers, in order, are `banks_in_order`: the page only draws them.

Groups and individuals (issue 14): per decision node of a scenario, how the groups at workplace meetings voted
(the tallies their sessions revealed) beside what individuals chose at that node (their first answer there in an
attempt): `group_comparison` turns the store's counts (`VoteCounts`, progress.group_analytics) into the rows the
page draws, with each choice's text and the best ending it can still lead to.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from course.content.loader import Course
from course.content.schema import Question, Scenario
from course.questions import kind_of
from course.rules import share

TOO_EASY_FROM = 90.0  # facility index, % ("very easy" and "extremely easy" in Moodle's guidance)
TOO_HARD_BELOW = 20.0  # facility index, % ("difficult" and harder)
MIN_ATTEMPTS = 30

FLAG_TOO_EASY = "too_easy"
FLAG_TOO_HARD = "too_hard"
FLAG_NEGATIVE = "negative_discrimination"
FLAG_FEW = "too_few_attempts"
FLAGS = (FLAG_NEGATIVE, FLAG_TOO_HARD, FLAG_TOO_EASY, FLAG_FEW)  # most serious first


@dataclass(frozen=True)
class ItemSums:
    """What the indexes need, summed over the attempts that had the question: n, Σx, Σx², Σy, Σy², Σxy."""

    n: int = 0
    sum_x: int = 0
    sum_xx: int = 0
    sum_y: int = 0
    sum_yy: int = 0
    sum_xy: int = 0


@dataclass(frozen=True)
class ItemStat:
    question_id: str
    topic: str
    text: str
    n: int
    facility: float | None  # %, None without attempts
    discrimination: float | None  # %, None when it is undefined (n < 2 or no spread)
    option_percents: tuple[float, ...]  # % of the attempts that chose each option (put it in place), original order
    correct_options: frozenset[int]
    flags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def plotted(self) -> bool:
        """A point on the facility × discrimination chart: it needs both indexes (none without a spread)."""
        return self.facility is not None and self.discrimination is not None


@dataclass(frozen=True)
class BankStatistics:
    """One bank's item statistics and the figures the analytics page shows above them."""

    items: tuple[ItemStat, ...]  # every question of the bank, in the bank's order (n = 0 when nobody was asked)

    @property
    def questions(self) -> int:
        return len(self.items)

    @property
    def asked(self) -> tuple[ItemStat, ...]:
        """The questions somebody answered in the chosen attempts."""
        return tuple(item for item in self.items if item.n)

    @property
    def most_attempts(self) -> int:
        """The largest number of attempts any question of the bank had (0 without any)."""
        return max((item.n for item in self.items), default=0)

    @property
    def flagged(self) -> int:
        """How many questions are worth an author's look (`is_flagged`)."""
        return sum(1 for item in self.items if is_flagged(item))

    @property
    def plotted(self) -> tuple[ItemStat, ...]:
        return tuple(item for item in self.items if item.plotted)

    @property
    def not_plotted(self) -> int:
        """Questions answered but left off the chart: everyone right or everyone wrong, or a single attempt."""
        return len(self.asked) - len(self.plotted)


def sums_from_answers(answers: Iterable[tuple[object, str, bool]]) -> dict[str, ItemSums]:
    """Sums from per-attempt rows (attempt id, question id, correct): the reference the SQL sums must equal."""
    by_attempt: dict[object, list[tuple[str, int]]] = {}
    for attempt_id, question_id, correct in answers:
        by_attempt.setdefault(attempt_id, []).append((question_id, int(bool(correct))))
    acc: dict[str, list[int]] = {}
    for marks in by_attempt.values():
        total = sum(x for _, x in marks)
        for question_id, x in marks:
            y = total - x
            a = acc.setdefault(question_id, [0, 0, 0, 0, 0, 0])
            for i, value in enumerate((1, x, x * x, y, y * y, x * y)):
                a[i] += value
    return {question_id: ItemSums(*a) for question_id, a in acc.items()}


def facility_index(sums: ItemSums, max_mark: int = 1) -> float | None:
    if sums.n == 0 or max_mark == 0:
        return None
    return 100.0 * sums.sum_x / (sums.n * max_mark)


def discrimination_index(sums: ItemSums) -> float | None:
    """100 × Pearson's r of x and y. The (n − 1) of Moodle's sample covariance and variances cancels; with
    integer sums, n·Σxy − Σx·Σy is exact, so "no spread" is an exact zero and never a rounding remnant."""
    n = sums.n
    if n < 2:
        return None
    covariance = n * sums.sum_xy - sums.sum_x * sums.sum_y
    variance_x = n * sums.sum_xx - sums.sum_x ** 2
    variance_y = n * sums.sum_yy - sums.sum_y ** 2
    if variance_x * variance_y == 0:
        return None
    return 100.0 * covariance / math.sqrt(variance_x * variance_y)


def option_percents(question: Question, response_counts: Mapping[str, int]) -> tuple[float, ...]:
    """% counting each option, as the question's type counts a response (chosen; for an ordering question, put
    in its right place); `response_counts` maps a stored response (JSON list of option indexes, original order)
    to how many attempts gave it. A response naming an option the question no longer has is ignored."""
    chosen = [0] * len(question.options)
    total = 0
    kind = kind_of(question)
    for response, count in response_counts.items():
        total += count
        for index in kind.counted_options(question, _indexes(response)):
            chosen[index] += count
    return tuple(100.0 * c / total if total else 0.0 for c in chosen)


def is_flagged(stat: "ItemStat") -> bool:
    """Worth an author's look: a flag, on enough attempts to mean something. Below MIN_ATTEMPTS the other flags
    are a hint shown beside the question, not counted: a demo's or a small unit's handful of answers would flag
    most questions by chance (a correlation on 6 answers is anywhere between -0.8 and 0.8)."""
    return FLAG_FEW not in stat.flags and bool(stat.flags)


def flags_for(n: int, facility: float | None, discrimination: float | None) -> tuple[str, ...]:
    found = []
    if discrimination is not None and discrimination < 0:
        found.append(FLAG_NEGATIVE)
    if facility is not None and facility < TOO_HARD_BELOW:
        found.append(FLAG_TOO_HARD)
    if facility is not None and facility >= TOO_EASY_FROM:
        found.append(FLAG_TOO_EASY)
    if n < MIN_ATTEMPTS:
        found.append(FLAG_FEW)
    return tuple(found)


def item_statistics(questions: Iterable[Question], sums: Mapping[str, ItemSums],
                    responses: Mapping[str, Mapping[str, int]]) -> list[ItemStat]:
    """One row per question of the bank, in the bank's order; a question nobody was asked has n = 0."""
    result = []
    for question in questions:
        item = sums.get(question.id, ItemSums())
        facility = facility_index(item)
        discrimination = discrimination_index(item)
        result.append(ItemStat(question.id, question.topic, question.text, item.n, facility, discrimination,
                               option_percents(question, responses.get(question.id, {})), _key(question),
                               flags_for(item.n, facility, discrimination)))
    return result


def banks_in_order(course: Course) -> list[str]:
    """The banks item statistics are offered for: every module's quiz, the originals (Swedish) first, then by
    title."""
    language_of = {module.quiz: module.language for module in course.modules.values()}
    return sorted(language_of, key=lambda bank: (language_of[bank] != "sv", course.banks[bank].title))


def _key(question: Question) -> frozenset[int]:
    kind = kind_of(question)
    return frozenset(index for index in range(len(question.options)) if kind.is_key(question, index))


def _indexes(response: str) -> list[int]:
    try:
        value = json.loads(response)
    except (TypeError, ValueError):
        return []
    if isinstance(value, int):
        return [value]
    return [v for v in value if isinstance(v, int)] if isinstance(value, list) else []


# -- groups and individuals at a scenario's decisions (issue 14) ---------------------------------------------

OUTCOMES = ("bra", "delvis", "svag")  # a scenario's endings, the best first


@dataclass(frozen=True)
class VoteCounts:
    """What the store counts for one scenario in a period, as stored: the database groups, this module adds up.

    - tallies: node id -> a revealed tally (JSON list, the votes per choice index) -> how many revealed steps had
      exactly that tally;
    - sessions: node id -> how many group sessions revealed a vote there; all_sessions: how many revealed one
      anywhere in the scenario;
    - responses: node id -> an individual's stored response (JSON choice index) -> how many attempts gave it as
      their first answer at the node."""

    tallies: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    sessions: Mapping[str, int] = field(default_factory=dict)
    all_sessions: int = 0
    responses: Mapping[str, Mapping[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class ChoiceComparison:
    index: int  # into node.choices, the file's order (every attempt and session shows its own order)
    text: str
    leads_to: str | None  # the best ending the choice can still lead to ('bra', 'delvis', 'svag')
    best: bool  # it can lead to the best ending any choice of the node can
    group_votes: int
    individual_answers: int
    group_share: float | None  # 0–1 of the node's group votes; None without any
    individual_share: float | None  # 0–1 of the node's individual answers; None without any


@dataclass(frozen=True)
class NodeComparison:
    node_id: str
    text: str  # reviewed content (Markdown)
    choices: tuple[ChoiceComparison, ...]  # in the file's order
    group_votes: int
    group_sessions: int  # sessions that revealed a vote here
    revealed_steps: int  # votes revealed here (more than the sessions when a group stepped back and voted again)
    individual_answers: int

    @property
    def counted(self) -> bool:
        """Someone voted or chose here in the period."""
        return bool(self.group_votes or self.individual_answers)


@dataclass(frozen=True)
class GroupComparison:
    """One scenario's decision nodes, in the order a walk from the start meets them, with groups beside
    individuals."""

    scenario_id: str
    nodes: tuple[NodeComparison, ...]
    group_sessions: int  # sessions of the scenario in the period that revealed a vote

    @property
    def group_votes(self) -> int:
        return sum(node.group_votes for node in self.nodes)

    @property
    def individual_answers(self) -> int:
        return sum(node.individual_answers for node in self.nodes)


def best_endings(scenario: Scenario) -> dict[str, str | None]:
    """Per node: the best ending reachable from it (an ending: its own), None when none is (the lint forbids it).
    Over a cycle too: a node's best is the best of everything it can reach."""
    edges = {node_id: [choice.next for choice in node.choices if choice.next in scenario.nodes]
             for node_id, node in scenario.nodes.items()}
    best: dict[str, str | None] = {}
    for node_id in scenario.nodes:
        seen, queue = {node_id}, [node_id]
        while queue:
            for target in edges[queue.pop()]:
                if target not in seen:
                    seen.add(target)
                    queue.append(target)
        reached = {scenario.nodes[n].ending for n in seen}
        best[node_id] = next((outcome for outcome in OUTCOMES if outcome in reached), None)
    return best


def decision_nodes(scenario: Scenario) -> list[str]:
    """The choice points, breadth first from the start (choices in the file's order), then any not reached in the
    file's order: the order a reader of the scenario meets them."""
    order, queue = [scenario.start], [scenario.start]
    while queue:
        node = scenario.nodes.get(queue.pop(0))
        for choice in node.choices if node is not None else ():
            if choice.next in scenario.nodes and choice.next not in order:
                order.append(choice.next)
                queue.append(choice.next)
    order += [node_id for node_id in scenario.nodes if node_id not in order]
    return [node_id for node_id in order if node_id in scenario.nodes and not scenario.nodes[node_id].is_ending]


def summed_tallies(tallies: Mapping[str, int], choices: int) -> list[int]:
    """The votes per choice index over revealed tallies (stored JSON list -> how many steps had it). A count for
    a choice the node no longer has (older content) is left out, as option_percents leaves out a lost option."""
    votes = [0] * choices
    for stored, times in tallies.items():
        try:
            tally = json.loads(stored)
        except (TypeError, ValueError):
            continue
        for index, count in enumerate(tally if isinstance(tally, list) else []):
            if index < choices and isinstance(count, int) and not isinstance(count, bool):
                votes[index] += count * times
    return votes


def chosen_counts(responses: Mapping[str, int], choices: int) -> list[int]:
    """The first answers per choice index (stored response -> how many); a lost choice is left out."""
    chosen = [0] * choices
    for response, count in responses.items():
        for index in _indexes(response)[:1]:
            if 0 <= index < choices:
                chosen[index] += count
    return chosen


def group_comparison(scenario: Scenario, counts: VoteCounts) -> GroupComparison:
    """Per decision node, per choice: the groups' votes and the individuals' first answers, each with its share
    of the node's total (rules.share), and the best ending each choice can lead to."""
    best = best_endings(scenario)
    nodes = []
    for node_id in decision_nodes(scenario):
        node = scenario.nodes[node_id]
        votes = summed_tallies(counts.tallies.get(node_id, {}), len(node.choices))
        chosen = chosen_counts(counts.responses.get(node_id, {}), len(node.choices))
        leads_to = [best.get(choice.next) for choice in node.choices]
        top = next((outcome for outcome in OUTCOMES if outcome in leads_to), None)
        choices = tuple(ChoiceComparison(index, choice.text, leads_to[index],
                                         top is not None and leads_to[index] == top, votes[index], chosen[index],
                                         share(votes[index], sum(votes)), share(chosen[index], sum(chosen)))
                        for index, choice in enumerate(node.choices))
        nodes.append(NodeComparison(node_id, node.text, choices, sum(votes), counts.sessions.get(node_id, 0),
                                    sum(counts.tallies.get(node_id, {}).values()), sum(chosen)))
    return GroupComparison(scenario.id, tuple(nodes), counts.all_sessions)


def scenarios_in_order(course: Course, group_sessions: Mapping[str, int]) -> list[str]:
    """The scenarios the comparison is offered for: those groups voted in first (most sessions first), then the
    rest; within each, the originals (Swedish) first, then by title."""
    language_of = {scenario_id: module.language for module in course.modules.values()
                   for scenario_id in module.scenarios}

    def key(scenario_id: str) -> tuple:
        return (-group_sessions.get(scenario_id, 0), language_of.get(scenario_id, "sv") != "sv",
                course.scenarios[scenario_id].title, scenario_id)

    return sorted(course.scenarios, key=key)
