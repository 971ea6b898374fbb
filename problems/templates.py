"""The exercise templates: which keys each asks, in order, and how hard."""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import UnknownDifficulty, UnknownTemplate
from .model import ELBO_GAP, TIGHT_BOUND

DIFFICULTIES = ("easy", "standard", "hard")
DEFAULT_DIFFICULTY = "standard"

# Contract §2: the keys a part is computed from, for follow-through credit.
FOLLOW_THROUGH_INPUTS: dict[str, tuple[str, ...]] = {
    "log_marginal": ("marginal",),
    "posterior": ("marginal",),
    "elbo": ("reconstruction", "kl_prior"),
    "gap": ("log_marginal", "elbo"),
    "kl_posterior": ("posterior",),
}
# In `tight-bound` q is the student's own posterior, so these depend on it too.
TIGHT_FOLLOW_THROUGH_INPUTS = FOLLOW_THROUGH_INPUTS | {"reconstruction": ("posterior",), "kl_prior": ("posterior",)}

# How each key is written in feedback, for the observation x.
KEY_SYMBOLS = {
    "marginal": "p(x = {x})",
    "log_marginal": "ln p(x = {x})",
    "posterior": "p(z = 1 | x = {x})",
    "reconstruction": "the reconstruction term E_q[ln p(x = {x} | z)]",
    "kl_prior": "KL(q ‖ p(z))",
    "elbo": "the ELBO",
    "gap": "the gap ln p(x = {x}) - ELBO",
    "kl_posterior": "KL(q ‖ p(z | x = {x}))",
}

# Keys whose value is a log (in nats): the ones a wrong log base changes.
LOG_KEYS = frozenset({"log_marginal", "reconstruction", "kl_prior", "elbo", "gap", "kl_posterior"})


@dataclass(frozen=True)
class Template:
    """An exercise: its id, what it asks and in what order."""

    id: str
    title: str
    description: str
    answer_keys: tuple[str, ...]
    difficulties: tuple[str, ...] = DIFFICULTIES
    # Pairs of keys equal by an identity of the model, so allowed to coincide.
    identities: frozenset[frozenset[str]] = frozenset()
    # For each key, the keys its follow-through value is computed from.
    inputs: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(FOLLOW_THROUGH_INPUTS))

    @property
    def needs_encoder(self) -> bool:
        """Whether the variant gives q(z = 1 | x) (`tight-bound` derives it)."""
        return self.id != TIGHT_BOUND


TEMPLATES: dict[str, Template] = {
    ELBO_GAP: Template(
        id=ELBO_GAP,
        title="ELBO and gap for a given encoder",
        description=(
            "From a prior and a decoder over a binary latent, find the marginal likelihood of the "
            "observation and its log, the posterior by Bayes' rule, then, for a given encoder q, the "
            "reconstruction term, the KL divergence to the prior and the ELBO; finally check that "
            "ln p(x) − ELBO equals KL(q ‖ posterior)."
        ),
        answer_keys=(
            "marginal", "log_marginal", "posterior", "reconstruction",
            "kl_prior", "elbo", "gap", "kl_posterior",
        ),
        identities=frozenset({frozenset({"gap", "kl_posterior"})}),
    ),
    TIGHT_BOUND: Template(
        id=TIGHT_BOUND,
        title="The tight bound: encoder equal to the posterior",
        description=(
            "Set the encoder to the true posterior, recompute the reconstruction term, the KL "
            "divergence to the prior and the ELBO, and confirm that the ELBO now equals ln p(x): "
            "the gap closes."
        ),
        answer_keys=("posterior", "reconstruction", "kl_prior", "elbo", "log_marginal", "gap"),
        identities=frozenset({frozenset({"elbo", "log_marginal"})}),
        inputs=TIGHT_FOLLOW_THROUGH_INPUTS,
    ),
}


def template(template_id: str) -> Template:
    """The template with this id, or UnknownTemplate."""
    try:
        return TEMPLATES[template_id]
    except KeyError:
        raise UnknownTemplate(template_id) from None


def check_difficulty(found: Template, difficulty: str) -> str:
    """The difficulty if the template offers it, or UnknownDifficulty."""
    if difficulty not in found.difficulties:
        raise UnknownDifficulty(difficulty, found.difficulties)
    return difficulty
