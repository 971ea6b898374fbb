"""The problem engine: templates, seeded and authored variants, exact solutions,
worked steps and the catalogue of mistakes. Pure Python and sympy-free at run
time; usable from a plain script."""

from .errors import InvalidParams, NoGradeableVariant, ProblemError, UnknownDifficulty, UnknownTemplate
from .exact import Exact
from .mistakes import MISTAKES, Mistake, mistake_values
from .model import Params
from .problem import Answer, Part, Problem, make_problem
from .solution import solve
from .steps import Step
from .templates import DEFAULT_DIFFICULTY, DIFFICULTIES, TEMPLATES, Template
from .variants import generate_params, gradeable, parse_params, variant_seed

__all__ = [
    "Answer", "DEFAULT_DIFFICULTY", "DIFFICULTIES", "Exact", "InvalidParams", "MISTAKES", "Mistake",
    "NoGradeableVariant", "Params", "Part", "Problem", "ProblemError", "Step", "TEMPLATES", "Template",
    "UnknownDifficulty", "UnknownTemplate", "generate_params", "gradeable", "make_problem",
    "mistake_values", "parse_params", "solve", "variant_seed",
]
