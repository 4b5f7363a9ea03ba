"""The generated docs of the wide marts stay in step with the seed they are written from."""

from __future__ import annotations

import shutil

from conftest import PROJECT_ROOT

from warehouse import cli
from warehouse.schema_docs import documented_schemas, properties_path, render_properties


def test_the_committed_schema_docs_are_up_to_date():
    schemas = documented_schemas(PROJECT_ROOT)
    assert "gz_decals_dr5" in schemas
    for schema in schemas:
        committed = properties_path(PROJECT_ROOT, schema).read_text()
        assert committed == render_properties(PROJECT_ROOT, schema), (
            f"run: gz-warehouse document-schema {schema}"
        )


def test_document_schema_writes_the_file_and_rejects_an_unknown_schema(tmp_path, capsys):
    project = tmp_path / "project"
    (project / "models" / "marts").mkdir(parents=True)
    shutil.copytree(PROJECT_ROOT / "seeds", project / "seeds")
    for model in (PROJECT_ROOT / "models" / "marts").glob("gz_decals_dr5_*.sql"):
        shutil.copy(model, project / "models" / "marts" / model.name)
    assert cli.main(["document-schema", "--project-dir", str(project)]) == 0
    written = properties_path(project, "gz_decals_dr5")
    assert written.read_text() == properties_path(PROJECT_ROOT, "gz_decals_dr5").read_text()
    assert cli.main(["document-schema", "no_such_schema", "--project-dir", str(project)]) == 1
    assert "no_such_schema" in capsys.readouterr().err
