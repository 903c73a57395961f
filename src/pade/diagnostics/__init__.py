"""MIPYME self-diagnosis: questionnaires as versioned data, scoring, levels, gaps and recommendations.

The interface later layers (assessment storage, API, peer comparison) build on:

* :mod:`pade.diagnostics.loader`: ``load_questionnaire(id, version=None)``, ``list_questionnaires()``,
  ``load_questionnaire_file(path)``, ``content_hash(q)`` (store it beside id and version);
* :mod:`pade.diagnostics.scoring`: ``score(q, answers, company, complete=True)`` → ``ScoreResult``
  (``as_dict()`` for JSON); ``InvalidAnswers`` lists every problem with a stable code;
* :mod:`pade.diagnostics.batch`: ``score_batch(q, table, companies)`` → ``BatchResult``, the same numbers
  column-wise for re-scoring many assessments; ``answers_to_table`` / ``batch_schema`` for the layout;
* :mod:`pade.diagnostics.reuse`: ``derive_answers(target, source, answers)`` for questions shared between
  questionnaires;
* :mod:`pade.diagnostics.cli`: the ``pade diagnostics`` Typer app.

The rules and the arithmetic are in ``docs/decisions/0008-diagnostics-scoring.md``.
"""
