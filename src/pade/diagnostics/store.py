"""Assessments in the system of record: drafts, answers as they are saved, scores (never overwritten)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from pade.core.db import Base


class Assessment(Base):
    """One self-diagnosis of a company (by RUC). ``id`` is an unguessable token: the resume link."""

    __tablename__ = "assessment"
    __table_args__ = (Index("ix_assessment_ruc_q", "ruc", "questionnaire"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    ruc: Mapped[str] = mapped_column(String(11))
    questionnaire: Mapped[str] = mapped_column(String(60))
    version: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12))  # borrador | enviada
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    consent: Mapped[bool] = mapped_column(Boolean)  # answers may be used for statistics
    company: Mapped[dict[str, Any]] = mapped_column(JSON)  # attributes at submission
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AnswerLog(Base):
    """Every save, append-only: who answered what and when (respondents attribute, never own)."""

    __tablename__ = "assessment_answer_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    assessment_id: Mapped[str] = mapped_column(ForeignKey("assessment.id"), index=True)
    respondent: Mapped[str | None] = mapped_column(String(120))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RescoreRun(Base):
    __tablename__ = "assessment_rescore_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    questionnaire: Mapped[str] = mapped_column(String(60))
    version: Mapped[str] = mapped_column(String(20))
    assessments: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    duration_s: Mapped[float] = mapped_column(Float)
    actor: Mapped[str] = mapped_column(String(120))


class AssessmentScore(Base):
    """A score of an assessment under one questionnaire version; re-scoring adds rows, never edits."""

    __tablename__ = "assessment_score"
    __table_args__ = (Index("ix_assessment_score_assessment", "assessment_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    assessment_id: Mapped[str] = mapped_column(ForeignKey("assessment.id"))
    questionnaire: Mapped[str] = mapped_column(String(60))
    version: Mapped[str] = mapped_column(String(20))
    overall: Mapped[float | None] = mapped_column(Float)
    level: Mapped[str | None] = mapped_column(String(30))
    result: Mapped[dict[str, Any]] = mapped_column(JSON)  # ScoreResult.as_dict()
    rescore_run_id: Mapped[int | None] = mapped_column(ForeignKey("assessment_rescore_run.id"))
    scored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
