"""The grader: reads students' answers safely, matches them within tolerance,
gives follow-through credit, names mistakes, explains, and scores. Pure
Python; no web framework, no database, no computer algebra at grading time."""

from .errors import AnswerError, GraderError, InvalidPolicy, UnknownAnswerKeys, UnreadableAnswers
from .grading import grade, read_answers
from .policy import Policy
from .reader import Reading, read_answer
from .result import CORRECT, FOLLOW_THROUGH, INCORRECT, UNANSWERED, GradeResult, PartResult, StepResult

__all__ = [
    "AnswerError", "CORRECT", "FOLLOW_THROUGH", "GradeResult", "GraderError", "INCORRECT", "InvalidPolicy",
    "PartResult", "Policy", "Reading", "StepResult", "UNANSWERED", "UnknownAnswerKeys", "UnreadableAnswers",
    "grade", "read_answer", "read_answers",
]
