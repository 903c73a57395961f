"""Answers shared between questionnaires (``reutiliza``).

A question that declares ``reutiliza: {cuestionario: madurez_digital, pregunta: ps2}``
asks the same thing as ``ps2`` of ``madurez_digital`` with the same options; its
points may differ. :func:`derive_answers` carries a company's answers across, so
a company that answered the maturity self-diagnosis gets the e-commerce index
without answering again. The target's own questions stay unanswered: score the
derived answers with ``complete=False`` and read ``ScoreResult.unanswered``.
"""

from __future__ import annotations

from collections.abc import Mapping

from pade.core.errors import InvalidDefinition
from pade.core.i18n import t
from pade.diagnostics.models import MATRIX_TYPES, NUMERIC_TYPES, OPTION_TYPES, Cuestionario, Pregunta


def reuse_links(target: Cuestionario, source: Cuestionario) -> dict[str, str]:
    """Target question id → source question id, for the target's questions that reuse ``source``.

    Raises:
        InvalidDefinition: a link names a question ``source`` lacks, or one whose
            answers cannot be carried over (other type, options, items or range).
            The message lists every broken link.
    """
    links: dict[str, str] = {}
    problems: list[str] = []
    by_id = {p.id: p for p in source.preguntas}
    for p in target.preguntas:
        if p.reutiliza is None or p.reutiliza.cuestionario != source.id:
            continue
        other = by_id.get(p.reutiliza.pregunta)
        if other is None:
            problems.append(t("{target}.{question} reuses {source}.{other}, which does not exist",
                              target=target.id, question=p.id, source=source.id, other=p.reutiliza.pregunta))
            continue
        reason = _incompatibility(p, other)
        if reason is not None:
            problems.append(t("{target}.{question} cannot reuse {source}.{other}: {reason}", target=target.id,
                              question=p.id, source=source.id, other=other.id, reason=reason))
            continue
        links[p.id] = other.id
    if problems:
        raise InvalidDefinition("\n".join(problems))
    return links


def _incompatibility(target: Pregunta, source: Pregunta) -> str | None:
    """Why an answer to ``source`` may not be a valid answer to ``target`` (``None`` if it always is)."""
    if target.tipo is not source.tipo:
        return t("the types differ ({target} and {source})", target=target.tipo.value, source=source.tipo.value)
    if source.permite_no_aplica and not target.permite_no_aplica:
        return t("the source accepts «no aplica» and the target does not")
    if target.tipo in OPTION_TYPES:
        missing = [o for o in source.opcion_ids() if o not in target.opcion_ids()]
        if missing:
            return t("the target lacks the options {options}", options=", ".join(missing))
        exclusive = {o.id for o in target.opciones or [] if o.excluyente}
        if exclusive != {o.id for o in source.opciones or [] if o.excluyente}:
            return t("the exclusive options differ")
    if target.tipo in MATRIX_TYPES and (target.item_ids() != source.item_ids() or target.escala != source.escala):
        return t("the items or the scale differ")
    if target.tipo in NUMERIC_TYPES:
        (t_lo, t_hi), (s_lo, s_hi) = target.rango, source.rango
        wider = s_lo >= t_lo and (t_hi is None or (s_hi is not None and s_hi <= t_hi))
        if not wider or (source.entero is False and target.entero is True):
            return t("the valid range of the source is wider than the target's")
    return None


def derive_answers(
    target: Cuestionario, source: Cuestionario, source_answers: Mapping[str, object],
) -> dict[str, object]:
    """The answers to ``target`` that ``source_answers`` (to ``source``) already give.

    Only reused questions are filled, and only where the source has an answer.

    Raises:
        InvalidDefinition: as :func:`reuse_links`.

    Example:
        >>> derived = derive_answers(comercio, madurez, respuestas_madurez)
        >>> score(comercio, derived, empresa, complete=False).unanswered
        ('ce3', 'ce4', 'id2', 'id4', 'pg4')
    """
    return {mine: source_answers[theirs] for mine, theirs in reuse_links(target, source).items()
            if source_answers.get(theirs) is not None}
