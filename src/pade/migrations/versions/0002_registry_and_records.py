"""Registry (companies, markets, entities) and programme records, imports and quarantine.

Generated with Alembic autogenerate from the models at this revision, then frozen:
later changes to ``pade.records.kinds`` need a new revision (a test compares
the migrated schema with the models).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

APPEND_ONLY = [
    "rec_adopcion_servicio",
    "rec_asistencia_tecnica",
    "rec_culminacion",
    "rec_diagnostico",
    "rec_inscripcion",
    "rec_mercado_plataforma",
    "rec_pagina_web",
    "rec_participacion_transfronteriza",
    "rec_programa",
    "rec_tienda_virtual",
    "rec_valor_reportado",
    "rec_venta_transfronteriza",
]
_MSG = "los registros del programa son de solo inserción: una corrección es una nueva revisión"


def upgrade() -> None:
    op.create_table(
        "entity",
        sa.Column("siglas", sa.String(length=20), nullable=False),
        sa.Column("nombre", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("siglas"),
    )
    op.create_table(
        "import_batch",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=True),
        sa.Column("file_hash", sa.String(length=64), nullable=False),
        sa.Column("entidad", sa.String(length=20), nullable=True),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_loaded", sa.Integer(), nullable=False),
        sa.Column("rows_quarantined", sa.Integer(), nullable=False),
        sa.Column("rows_unchanged", sa.Integer(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ux_import_batch_kind_hash", "import_batch", ["kind", "file_hash"], unique=True)
    op.create_table(
        "company",
        sa.Column("ruc", sa.String(length=11), nullable=False),
        sa.Column("persona_natural", sa.Boolean(), nullable=False),
        sa.Column("first_seen", sa.Date(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batch.id"],
        ),
        sa.PrimaryKeyConstraint("ruc"),
    )
    op.create_table(
        "entity_unit",
        sa.Column("entidad", sa.String(length=20), nullable=False),
        sa.Column("siglas", sa.String(length=20), nullable=False),
        sa.Column("nombre", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["entidad"],
            ["entity.siglas"],
        ),
        sa.PrimaryKeyConstraint("entidad", "siglas"),
    )
    op.create_table(
        "market",
        sa.Column("mercado_id", sa.String(length=40), nullable=False),
        sa.Column("nombre", sa.Text(), nullable=False),
        sa.Column("ubigeo", sa.String(length=6), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("row_number", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batch.id"],
        ),
        sa.PrimaryKeyConstraint("mercado_id"),
    )
    op.create_table(
        "quarantine_row",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("issues", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("resolved_batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batch.id"],
        ),
        sa.ForeignKeyConstraint(
            ["resolved_batch_id"],
            ["import_batch.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_quarantine_kind_status", "quarantine_row", ["kind", "status"], unique=False)
    op.create_table(
        "rec_adopcion_servicio",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("entidad_reporta", sa.String(length=20), nullable=True),
        sa.Column("revision_of", sa.Integer(), nullable=True),
        sa.Column("key_hash", sa.String(length=32), nullable=False),
        sa.Column("row_hash", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ruc", sa.String(length=20), nullable=False),
        sa.Column("tipo_servicio", sa.Text(), nullable=False),
        sa.Column("proveedor", sa.String(length=200), nullable=True),
        sa.Column("fecha", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batch.id"],
        ),
        sa.ForeignKeyConstraint(
            ["revision_of"],
            ["rec_adopcion_servicio.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_rec_adopcion_servicio_key_hash"), "rec_adopcion_servicio", ["key_hash"], unique=False)
    op.create_table(
        "rec_asistencia_tecnica",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("entidad_reporta", sa.String(length=20), nullable=True),
        sa.Column("revision_of", sa.Integer(), nullable=True),
        sa.Column("key_hash", sa.String(length=32), nullable=False),
        sa.Column("row_hash", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ruc", sa.String(length=20), nullable=False),
        sa.Column("programa", sa.String(length=40), nullable=False),
        sa.Column("tipo", sa.Text(), nullable=False),
        sa.Column("fecha", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batch.id"],
        ),
        sa.ForeignKeyConstraint(
            ["revision_of"],
            ["rec_asistencia_tecnica.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_rec_asistencia_tecnica_key_hash"), "rec_asistencia_tecnica", ["key_hash"], unique=False)
    op.create_table(
        "rec_culminacion",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("entidad_reporta", sa.String(length=20), nullable=True),
        sa.Column("revision_of", sa.Integer(), nullable=True),
        sa.Column("key_hash", sa.String(length=32), nullable=False),
        sa.Column("row_hash", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ruc", sa.String(length=20), nullable=False),
        sa.Column("programa", sa.String(length=40), nullable=False),
        sa.Column("curso", sa.String(length=40), nullable=True),
        sa.Column("fecha_culminacion", sa.Date(), nullable=False),
        sa.Column("resultado", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batch.id"],
        ),
        sa.ForeignKeyConstraint(
            ["revision_of"],
            ["rec_culminacion.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_rec_culminacion_key_hash"), "rec_culminacion", ["key_hash"], unique=False)
    op.create_table(
        "rec_diagnostico",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("entidad_reporta", sa.String(length=20), nullable=True),
        sa.Column("revision_of", sa.Integer(), nullable=True),
        sa.Column("key_hash", sa.String(length=32), nullable=False),
        sa.Column("row_hash", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ruc", sa.String(length=20), nullable=False),
        sa.Column("cuestionario", sa.String(length=60), nullable=False),
        sa.Column("version", sa.String(length=20), nullable=False),
        sa.Column("fecha", sa.Date(), nullable=False),
        sa.Column("puntaje", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("nivel", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batch.id"],
        ),
        sa.ForeignKeyConstraint(
            ["revision_of"],
            ["rec_diagnostico.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_rec_diagnostico_key_hash"), "rec_diagnostico", ["key_hash"], unique=False)
    op.create_table(
        "rec_inscripcion",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("entidad_reporta", sa.String(length=20), nullable=True),
        sa.Column("revision_of", sa.Integer(), nullable=True),
        sa.Column("key_hash", sa.String(length=32), nullable=False),
        sa.Column("row_hash", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ruc", sa.String(length=20), nullable=False),
        sa.Column("programa", sa.String(length=40), nullable=False),
        sa.Column("curso", sa.String(length=40), nullable=True),
        sa.Column("fecha_inscripcion", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batch.id"],
        ),
        sa.ForeignKeyConstraint(
            ["revision_of"],
            ["rec_inscripcion.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_rec_inscripcion_key_hash"), "rec_inscripcion", ["key_hash"], unique=False)
    op.create_table(
        "rec_mercado_plataforma",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("entidad_reporta", sa.String(length=20), nullable=True),
        sa.Column("revision_of", sa.Integer(), nullable=True),
        sa.Column("key_hash", sa.String(length=32), nullable=False),
        sa.Column("row_hash", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mercado_id", sa.String(length=40), nullable=False),
        sa.Column("plataforma", sa.String(length=200), nullable=False),
        sa.Column("fecha_inicio", sa.Date(), nullable=False),
        sa.Column("fecha_fin", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batch.id"],
        ),
        sa.ForeignKeyConstraint(
            ["revision_of"],
            ["rec_mercado_plataforma.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_rec_mercado_plataforma_key_hash"), "rec_mercado_plataforma", ["key_hash"], unique=False)
    op.create_table(
        "rec_pagina_web",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("entidad_reporta", sa.String(length=20), nullable=True),
        sa.Column("revision_of", sa.Integer(), nullable=True),
        sa.Column("key_hash", sa.String(length=32), nullable=False),
        sa.Column("row_hash", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ruc", sa.String(length=20), nullable=False),
        sa.Column("programa", sa.String(length=40), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("fecha", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batch.id"],
        ),
        sa.ForeignKeyConstraint(
            ["revision_of"],
            ["rec_pagina_web.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_rec_pagina_web_key_hash"), "rec_pagina_web", ["key_hash"], unique=False)
    op.create_table(
        "rec_participacion_transfronteriza",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("entidad_reporta", sa.String(length=20), nullable=True),
        sa.Column("revision_of", sa.Integer(), nullable=True),
        sa.Column("key_hash", sa.String(length=32), nullable=False),
        sa.Column("row_hash", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ruc", sa.String(length=20), nullable=False),
        sa.Column("programa", sa.String(length=40), nullable=False),
        sa.Column("fecha", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batch.id"],
        ),
        sa.ForeignKeyConstraint(
            ["revision_of"],
            ["rec_participacion_transfronteriza.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_rec_participacion_transfronteriza_key_hash"),
        "rec_participacion_transfronteriza",
        ["key_hash"],
        unique=False,
    )
    op.create_table(
        "rec_programa",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("entidad_reporta", sa.String(length=20), nullable=True),
        sa.Column("revision_of", sa.Integer(), nullable=True),
        sa.Column("key_hash", sa.String(length=32), nullable=False),
        sa.Column("row_hash", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("programa", sa.String(length=40), nullable=False),
        sa.Column("curso", sa.String(length=40), nullable=True),
        sa.Column("nombre", sa.String(length=300), nullable=False),
        sa.Column("entidad", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batch.id"],
        ),
        sa.ForeignKeyConstraint(
            ["revision_of"],
            ["rec_programa.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_rec_programa_key_hash"), "rec_programa", ["key_hash"], unique=False)
    op.create_table(
        "rec_tienda_virtual",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("entidad_reporta", sa.String(length=20), nullable=True),
        sa.Column("revision_of", sa.Integer(), nullable=True),
        sa.Column("key_hash", sa.String(length=32), nullable=False),
        sa.Column("row_hash", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ruc", sa.String(length=20), nullable=False),
        sa.Column("tienda_id", sa.String(length=60), nullable=False),
        sa.Column("fecha_apertura", sa.Date(), nullable=False),
        sa.Column("fecha_cierre", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batch.id"],
        ),
        sa.ForeignKeyConstraint(
            ["revision_of"],
            ["rec_tienda_virtual.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_rec_tienda_virtual_key_hash"), "rec_tienda_virtual", ["key_hash"], unique=False)
    op.create_table(
        "rec_valor_reportado",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("entidad_reporta", sa.String(length=20), nullable=True),
        sa.Column("revision_of", sa.Integer(), nullable=True),
        sa.Column("key_hash", sa.String(length=32), nullable=False),
        sa.Column("row_hash", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("variable", sa.String(length=60), nullable=False),
        sa.Column("entidad", sa.String(length=20), nullable=False),
        sa.Column("periodo", sa.Integer(), nullable=False),
        sa.Column("valor", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("evidencia", sa.String(length=500), nullable=False),
        sa.Column("justificacion", sa.String(length=2000), nullable=True),
        sa.Column("estado", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batch.id"],
        ),
        sa.ForeignKeyConstraint(
            ["revision_of"],
            ["rec_valor_reportado.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_rec_valor_reportado_key_hash"), "rec_valor_reportado", ["key_hash"], unique=False)
    op.create_table(
        "rec_venta_transfronteriza",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("entidad_reporta", sa.String(length=20), nullable=True),
        sa.Column("revision_of", sa.Integer(), nullable=True),
        sa.Column("key_hash", sa.String(length=32), nullable=False),
        sa.Column("row_hash", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ruc", sa.String(length=20), nullable=False),
        sa.Column("fecha", sa.Date(), nullable=False),
        sa.Column("monto", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("moneda", sa.Text(), nullable=False),
        sa.Column("pais_destino", sa.String(length=2), nullable=True),
        sa.Column("canal", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batch.id"],
        ),
        sa.ForeignKeyConstraint(
            ["revision_of"],
            ["rec_venta_transfronteriza.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_rec_venta_transfronteriza_key_hash"), "rec_venta_transfronteriza", ["key_hash"], unique=False
    )
    op.create_table(
        "company_version",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ruc", sa.String(length=11), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("razon_social", sa.Text(), nullable=True),
        sa.Column("ubigeo", sa.String(length=6), nullable=True),
        sa.Column("ciiu", sa.String(length=4), nullable=True),
        sa.Column("tamano", sa.String(length=10), nullable=True),
        sa.Column("tamano_origen", sa.String(length=10), nullable=True),
        sa.Column("ventas_anuales", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("anio_ventas", sa.Integer(), nullable=True),
        sa.Column("exportador", sa.String(length=30), nullable=True),
        sa.Column("sexo_titular", sa.String(length=12), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("row_number", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batch.id"],
        ),
        sa.ForeignKeyConstraint(
            ["ruc"],
            ["company.ruc"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_company_version_ruc_valid_from", "company_version", ["ruc", "valid_from"], unique=False)
    op.drop_index(op.f("ix_audit_log_object"), table_name="audit_log")
    _append_only(op.get_bind().dialect.name)


def _append_only(dialect: str) -> None:
    if dialect == "sqlite":
        for table in APPEND_ONLY:
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{_MSG}'); END"
                )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION pade_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{_MSG}'; END $$"
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION pade_append_only()"
            )


def downgrade() -> None:
    op.create_index(op.f("ix_audit_log_object"), "audit_log", ["object_type", "object_id"], unique=False)
    op.drop_index("ix_company_version_ruc_valid_from", table_name="company_version")
    op.drop_table("company_version")
    op.drop_index(op.f("ix_rec_venta_transfronteriza_key_hash"), table_name="rec_venta_transfronteriza")
    op.drop_table("rec_venta_transfronteriza")
    op.drop_index(op.f("ix_rec_valor_reportado_key_hash"), table_name="rec_valor_reportado")
    op.drop_table("rec_valor_reportado")
    op.drop_index(op.f("ix_rec_tienda_virtual_key_hash"), table_name="rec_tienda_virtual")
    op.drop_table("rec_tienda_virtual")
    op.drop_index(op.f("ix_rec_programa_key_hash"), table_name="rec_programa")
    op.drop_table("rec_programa")
    op.drop_index(op.f("ix_rec_participacion_transfronteriza_key_hash"), table_name="rec_participacion_transfronteriza")
    op.drop_table("rec_participacion_transfronteriza")
    op.drop_index(op.f("ix_rec_pagina_web_key_hash"), table_name="rec_pagina_web")
    op.drop_table("rec_pagina_web")
    op.drop_index(op.f("ix_rec_mercado_plataforma_key_hash"), table_name="rec_mercado_plataforma")
    op.drop_table("rec_mercado_plataforma")
    op.drop_index(op.f("ix_rec_inscripcion_key_hash"), table_name="rec_inscripcion")
    op.drop_table("rec_inscripcion")
    op.drop_index(op.f("ix_rec_diagnostico_key_hash"), table_name="rec_diagnostico")
    op.drop_table("rec_diagnostico")
    op.drop_index(op.f("ix_rec_culminacion_key_hash"), table_name="rec_culminacion")
    op.drop_table("rec_culminacion")
    op.drop_index(op.f("ix_rec_asistencia_tecnica_key_hash"), table_name="rec_asistencia_tecnica")
    op.drop_table("rec_asistencia_tecnica")
    op.drop_index(op.f("ix_rec_adopcion_servicio_key_hash"), table_name="rec_adopcion_servicio")
    op.drop_table("rec_adopcion_servicio")
    op.drop_index("ix_quarantine_kind_status", table_name="quarantine_row")
    op.drop_table("quarantine_row")
    op.drop_table("market")
    op.drop_table("entity_unit")
    op.drop_table("company")
    op.drop_index("ux_import_batch_kind_hash", table_name="import_batch")
    op.drop_table("import_batch")
    op.drop_table("entity")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS pade_append_only()")
