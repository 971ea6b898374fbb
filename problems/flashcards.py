"""The practice page's ten flashcards on the ELBO, in this project's own words.

Each card is a question (``front``) and its answer (``back``), plain text with
``$TeX$`` for the math, as in the templates' statements. The ids are stable
slugs: clients and printed decks may refer to a card by its id.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Flashcard:
    id: str
    front: str
    back: str


FLASHCARDS: tuple[Flashcard, ...] = (
    Flashcard(
        "latent-variable-model",
        "What is a latent-variable model, and why can its $\\ln p(x)$ not be computed directly?",
        "The model draws a hidden $z$ from a prior $p(z)$, then $x$ from a decoder $p(x \\mid z)$, so "
        "$p(x) = \\int p(x \\mid z)\\, p(z)\\, dz$. With a neural-network decoder that integral has no closed "
        "form, and averaging $p(x \\mid z)$ over draws from the prior is hopeless: almost every draw explains "
        "$x$ badly. So $\\ln p(x)$ cannot be evaluated, and the model cannot be fitted by maximum likelihood "
        "as it stands.",
    ),
    Flashcard(
        "elbo-by-jensen",
        "Derive the ELBO in two lines with Jensen's inequality.",
        "$\\ln p(x) = \\ln \\mathbb{E}_{q(z \\mid x)}\\left[\\frac{p(x, z)}{q(z \\mid x)}\\right] "
        "\\geq \\mathbb{E}_{q(z \\mid x)}\\left[\\ln \\frac{p(x, z)}{q(z \\mid x)}\\right] = \\mathrm{ELBO}(x; q)$. "
        "The first step multiplies and divides by the encoder $q$ inside the integral; the second is Jensen's "
        "inequality, which holds because $\\ln$ is concave.",
    ),
    Flashcard(
        "reconstruction-minus-kl",
        "How does the ELBO split into a reconstruction term and a KL term?",
        "$\\mathrm{ELBO}(x; q) = \\mathbb{E}_{q(z \\mid x)}[\\ln p(x \\mid z)] - "
        "\\mathrm{KL}(q(z \\mid x) \\,\\|\\, p(z))$. The first term rewards a decoder that rebuilds $x$ from "
        "codes the encoder draws; the second charges the encoder for straying from the prior. The two work "
        "against each other, and training settles on a trade between them.",
    ),
    Flashcard(
        "what-each-term-wants",
        "Which way does each term of the ELBO push the encoder?",
        "The reconstruction term wants a sharp $q(z \\mid x)$ that says a lot about $x$, so the decoder can "
        "rebuild it. The KL term wants $q(z \\mid x)$ to look like the prior: broad and saying little. Much of "
        "how a VAE trains comes from this pull in two directions; posterior collapse is the KL term winning it.",
    ),
    Flashcard(
        "the-gap",
        "By how much does the ELBO fall short of $\\ln p(x)$?",
        "$\\ln p(x) - \\mathrm{ELBO}(x; q) = \\mathrm{KL}(q(z \\mid x) \\,\\|\\, p(z \\mid x))$: exactly the KL "
        "divergence from the encoder to the true posterior. It is never negative, and it is zero, so the bound "
        "is tight, exactly when the encoder is the posterior.",
    ),
    Flashcard(
        "two-gains-at-once",
        "Why does raising the ELBO improve two things at once?",
        "By the gap identity, $\\mathrm{ELBO} = \\ln p(x) - \\mathrm{KL}(q \\,\\|\\, p(z \\mid x))$. Raising it "
        "either raises $\\ln p(x)$, so the model fits the data better, or lowers the KL, so the encoder comes "
        "closer to the true posterior; training does both together.",
    ),
    Flashcard(
        "comparing-likelihoods",
        "Why can a VAE's likelihood not be set directly beside an autoregressive model's?",
        "A VAE reports its ELBO, which sits below $\\ln p(x)$ by $\\mathrm{KL}(q \\,\\|\\, p(z \\mid x))$, an "
        "amount nobody knows and that depends on how good the encoder is. An autoregressive model reports "
        "$\\ln p(x)$ itself. The VAE's figure undersells its model by an unknown margin, so a comparison across "
        "the two kinds of model needs care.",
    ),
    Flashcard(
        "posterior-collapse",
        "What is posterior collapse, and which term of the ELBO causes it?",
        "The encoder ignores $x$ and returns the prior, $q(z \\mid x) = p(z)$, so the code carries no "
        "information. The KL term causes it: when staying near the prior is rewarded more than rebuilding $x$, "
        "a KL of zero is the cheap way out. The β-VAE, KL annealing and free bits all change how the two terms "
        "are weighted.",
    ),
    Flashcard(
        "why-the-log",
        "Why does the derivation of the ELBO need the log in particular?",
        "Jensen's inequality gives $\\ln \\mathbb{E}[Y] \\geq \\mathbb{E}[\\ln Y]$ because $\\ln$ is concave, so "
        "the expected log is a lower bound: the \"lower bound\" in evidence lower bound. With a convex function "
        "the inequality turns around, and with one that is neither there is no bound at all.",
    ),
    Flashcard(
        "forward-kl",
        "How does the ELBO relate to fitting a model by the forward KL?",
        "Maximum likelihood is minimising the forward KL from the data to the model, and it needs "
        "$\\ln p(x)$. When the marginal cannot be computed, the ELBO takes its place; and since "
        "$\\ln p(x) - \\mathrm{ELBO} = \\mathrm{KL}(q \\,\\|\\, p(z \\mid x))$, fitting a latent-variable model is "
        "still minimising a KL, only through a bound instead of the exact objective.",
    ),
)
