"""Pure functions over content and records: counts, completion shares. No I/O."""

from __future__ import annotations

import re

from course.content.loader import Course


def content_stats(course: Course) -> dict:
    """Counts of the loaded content; `citations` is the number of distinct legal sources the content cites."""
    cited: set[str] = set()
    topics: set[str] = set()
    nodes = 0
    for scenario in course.scenarios.values():
        topics.update(scenario.topics)
        nodes += len(scenario.nodes)
        for node in scenario.nodes.values():
            for choice in node.choices:
                cited.update(choice.cite)
    questions = 0
    for bank in course.banks.values():
        questions += len(bank.questions)
        for question in bank.questions:
            topics.add(question.topic)
            cited.update(question.cite)
    for module in course.modules.values():
        topics.update(module.topics)
    return {
        "modules": len(course.modules),
        "scenarios": len(course.scenarios),
        "nodes": nodes,
        "questions": questions,
        "citations": len(cited),
        "topics": sorted(topics),
    }


def module_texts(course: Course, module_id: str) -> list[str]:
    """Everything a learner reads in a module: summary, key points, situations, choices, feedback, questions."""
    module = course.modules[module_id]
    texts = [module.summary] + [point.text for point in module.key_points]
    for scenario_id in module.scenarios:
        for node in course.scenarios[scenario_id].nodes.values():
            texts.append(node.text)
            for choice in node.choices:
                texts += [choice.text, choice.feedback]
    for question in course.banks[module.quiz].questions:
        texts.append(question.text)
        texts += [option.text for option in question.options] + [option.explanation for option in question.options]
    return texts


def lix(texts: list[str]) -> tuple[float, float]:
    """Läsbarhetsindex (Björnsson): words per sentence plus the share of words longer than six letters, in %.
    Below 30 is very easy, 30-40 easy (fiction, plain news), over 50 hard (official prose). Also returns the mean
    sentence length. A text that ends without a full stop counts as one sentence (options, choices)."""
    words = sentences = long_words = 0
    for text in texts:
        found = re.findall(r"[^\W\d_]+", text)
        words += len(found)
        long_words += sum(1 for word in found if len(word) > 6)
        sentences += max(1, len(re.findall(r"[.!?]+(?=\s|$)", text)))
    if not words:
        return 0.0, 0.0
    return words / sentences + 100.0 * long_words / words, words / sentences
