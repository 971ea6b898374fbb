"""The problem engine: templates, seeded and authored variants, exact solutions,
worked steps and the catalogue of mistakes. Pure Python and sympy-free at run
time; usable from a plain script.

Every exercise is a `Template` registered in `problems.registry`; the ones
built in are registered here, in the order they are listed.
"""

from . import beta_elbo, elbo_gap, iwae_bound, tight_bound
from .errors import (
    DuplicateTemplate,
    InvalidParams,
    NoGradeableVariant,
    ProblemError,
    UnknownDifficulty,
    UnknownTemplate,
)
from .exact import Exact
from .model import Params
from .problem import Answer, Part, Problem, make_problem
from .registry import TEMPLATES, register, unregister
from .solution import solve
from .steps import Step
from .template import (
    DEFAULT_DIFFICULTY,
    DIFFICULTIES,
    ExactValue,
    FollowThrough,
    Mistake,
    Quantity,
    Template,
    TemplateParams,
)
from .variants import generate_params, gradeable, mistake_values, parse_params, variant_seed

register(elbo_gap.TEMPLATE)
register(tight_bound.TEMPLATE)
register(beta_elbo.TEMPLATE)
register(iwae_bound.TEMPLATE)

__all__ = [
    "Answer", "DEFAULT_DIFFICULTY", "DIFFICULTIES", "DuplicateTemplate", "Exact", "ExactValue", "FollowThrough",
    "InvalidParams", "Mistake", "NoGradeableVariant", "Params", "Part", "Problem", "ProblemError", "Quantity", "Step",
    "TEMPLATES", "Template", "TemplateParams", "UnknownDifficulty", "UnknownTemplate", "generate_params",
    "gradeable", "make_problem", "mistake_values", "parse_params", "register", "solve", "unregister",
    "variant_seed",
]
