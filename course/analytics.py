"""Pure functions over content and records: counts, completion shares. No I/O."""

from __future__ import annotations

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
