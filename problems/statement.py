"""The statement of a variant and the prompt of each part, in Markdown with TeX."""

from __future__ import annotations

from .model import TIGHT_BOUND, Params
from .numbers import rational_text


def statement(template_id: str, params: Params) -> str:
    """The exercise text with the variant's numbers."""
    x = params.x
    setup = (
        f"A binary latent variable $z \\in \\{{0, 1\\}}$ has the prior $p(z = 1) = {rational_text(params.p_z1)}$, "
        f"so $p(z = 0) = {rational_text(1 - params.p_z1)}$. The decoder gives the probability of "
        f"observing $x = 1$ from each latent state: $p(x = 1 \\mid z = 0) = {rational_text(params.p_x1_given_z0)}$ "
        f"and $p(x = 1 \\mid z = 1) = {rational_text(params.p_x1_given_z1)}$. The observation is $x = {x}$."
    )
    if template_id == TIGHT_BOUND:
        task = (
            f"Take the encoder to be the true posterior, $q(z \\mid x = {x}) = p(z \\mid x = {x})$. "
            "Find that posterior, then the reconstruction term, the KL divergence to the prior and the "
            f"ELBO, and compare the ELBO with $\\ln p(x = {x})$: how large is the gap?"
        )
    else:
        task = (
            f"An encoder proposes $q(z = 1 \\mid x = {x}) = {rational_text(params.q_z1)}$. Find the marginal "
            "likelihood and its log, the posterior by Bayes' rule, the reconstruction term, the KL "
            f"divergence to the prior and the ELBO; then the gap $\\ln p(x = {x}) - \\mathrm{{ELBO}}$ and "
            f"$\\mathrm{{KL}}(q \\,\\|\\, p(z \\mid x = {x}))$, which should agree."
        )
    return f"{setup}\n\n{task}\n\nUse natural logarithms throughout."


def prompts(template_id: str, params: Params) -> dict[str, str]:
    """One short prompt per answer key."""
    x = params.x
    encoder = "the encoder set to the posterior" if template_id == TIGHT_BOUND else "the given encoder"
    return {
        "marginal": f"The marginal likelihood $p(x = {x})$.",
        "log_marginal": f"Its natural log, $\\ln p(x = {x})$.",
        "posterior": f"The posterior $p(z = 1 \\mid x = {x})$, by Bayes' rule.",
        "reconstruction": (
            f"The reconstruction term $\\mathbb{{E}}_{{q(z \\mid x = {x})}}[\\ln p(x = {x} \\mid z)]$, "
            f"with {encoder}."
        ),
        "kl_prior": f"The KL divergence to the prior, $\\mathrm{{KL}}(q(z \\mid x = {x}) \\,\\|\\, p(z))$.",
        "elbo": "The ELBO: the reconstruction term minus the KL divergence to the prior.",
        "gap": f"The gap $\\ln p(x = {x}) - \\mathrm{{ELBO}}$.",
        "kl_posterior": (
            f"The KL divergence to the true posterior, $\\mathrm{{KL}}(q(z \\mid x = {x}) \\,\\|\\, p(z \\mid x = {x}))$."
        ),
    }
