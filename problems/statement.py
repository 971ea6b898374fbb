"""The statement and prompts every template of the binary model shares, in Markdown with TeX.

Each template adds its own task (`statement`) and says where its encoder comes from (`prompts`).
"""

from __future__ import annotations

from fractions import Fraction

from .model import Params
from .numbers import rational_text


def statement(params: Params[Fraction], task: str) -> str:
    """The model with the variant's numbers, then the template's task."""
    setup = (
        f"A binary latent variable $z \\in \\{{0, 1\\}}$ has the prior $p(z = 1) = {rational_text(params.p_z1)}$, "
        f"so $p(z = 0) = {rational_text(1 - params.p_z1)}$. The decoder gives the probability of "
        f"observing $x = 1$ from each latent state: $p(x = 1 \\mid z = 0) = {rational_text(params.p_x1_given_z0)}$ "
        f"and $p(x = 1 \\mid z = 1) = {rational_text(params.p_x1_given_z1)}$. The observation is $x = {params.x}$."
    )
    return f"{setup}\n\n{task}\n\nUse natural logarithms throughout."


def prompts(params: Params[Fraction], encoder: str) -> dict[str, str]:
    """One short prompt per key of the model, each standing on its own whatever is asked before it;
    `encoder` names the q the reconstruction term uses. A template may word its own."""
    x = params.x
    return {
        "marginal": f"The marginal likelihood $p(x = {x})$.",
        "log_marginal": f"The log marginal likelihood $\\ln p(x = {x})$.",
        "posterior": f"The posterior $p(z = 1 \\mid x = {x})$, by Bayes' rule.",
        "reconstruction": (
            f"The reconstruction term $\\mathbb{{E}}_{{q(z \\mid x = {x})}}[\\ln p(x = {x} \\mid z)]$, "
            f"with {encoder}."
        ),
        "kl_prior": f"The KL divergence to the prior, $\\mathrm{{KL}}(q(z \\mid x = {x}) \\,\\|\\, p(z))$.",
        "elbo": "The ELBO: the reconstruction term minus the KL divergence to the prior.",
        "gap": f"The gap $\\ln p(x = {x}) - \\mathrm{{ELBO}}$.",
        "kl_posterior": (
            "The KL divergence to the true posterior, "
            f"$\\mathrm{{KL}}(q(z \\mid x = {x}) \\,\\|\\, p(z \\mid x = {x}))$."
        ),
    }
