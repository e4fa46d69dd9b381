"""Course content: schema, line-aware YAML loading and validation (lint)."""

from course.content.loader import Course, LoadResult, Problem, legal_sources, load_course

__all__ = ["Course", "LoadResult", "Problem", "legal_sources", "load_course"]
