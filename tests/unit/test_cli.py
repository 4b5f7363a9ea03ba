"""The command line's shape: every command is there, every option's help names its default,
and `python -m ingest` parses as `gz-warehouse ingest` does. Parsing only: nothing runs."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest import cli as ingest_cli
from warehouse import __version__, cli

COMMANDS = [
    ["ingest", "api"],
    ["ingest", "export"],
    ["ingest", "lab-exports"],
    ["build"],
    ["dashboard"],
    ["catalogue", "import"],
    ["catalogue", "publish"],
    ["catalogue", "write"],
    ["document-schema"],
    ["schema", "init"],
    ["demo"],
    ["standin"],
]


def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every command that runs something (the leaves of the command tree)."""
    children = subparsers(parser)
    if not children:
        yield path, parser
    for name, child in children.items():
        yield from commands(child, (*path, name))


def test_gz_warehouse_lists_every_command():
    found = {path for path, _ in commands(cli.parser())}
    assert found == {tuple(command) for command in COMMANDS}


def test_every_option_help_names_its_default():
    for path, parser in commands(cli.parser()):
        for action in parser._actions:
            if not action.option_strings or action.dest in ("help", "version"):
                continue
            said = "required" if action.required else "default"
            assert action.help and said in action.help, (path, action.option_strings)


def test_verbose_says_what_it_adds_and_exists_only_where_it_adds_something():
    verbose = {
        path: action.help
        for path, parser in commands(cli.parser())
        for action in parser._actions
        if "-v" in action.option_strings
    }
    assert set(verbose) == {
        ("ingest", "api"),
        ("ingest", "export"),
        ("ingest", "lab-exports"),
        ("dashboard",),
        ("standin",),
    }
    assert "request" in verbose[("ingest", "api")]
    assert "batch" in verbose[("ingest", "export")]


def test_version(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"gz-warehouse {__version__}"


def test_python_m_ingest_parses_like_gz_warehouse_ingest():
    argv = ["api", "--project-id", "5733", "--workflow-id", "6122", "--workflow-id", "10581",
            "--page-size", "50", "-q", "--data-dir", "landing"]  # fmt: skip
    direct = argparse.ArgumentParser()
    ingest_cli.add_commands(direct.add_subparsers(required=True))
    via_ingest = vars(direct.parse_args(argv))
    via_gz = vars(cli.parser().parse_args(["ingest", *argv]))
    assert via_ingest == via_gz
    assert via_gz["workflow_ids"] == [6122, 10581]
    assert via_gz["verbosity"] == -1
    assert via_gz["data_dir"] == Path("landing")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["ingest", "api"], "--project-id"),
        (["ingest", "api", "--project-id", "0"], "positive integer"),
        (["ingest", "api", "--project-id", "5733", "--page-size", "101"], "caps page_size"),
        (["ingest", "api", "--project-id", "5733", "-v", "-q"], "not allowed with"),
        (["catalogue"], "ACTION"),
        (["catalogue", "write"], "SCHEMA"),
        (["catalogue", "write", "gz2", "--format", "votes"], "invalid choice"),
        (["build", "-v"], "unrecognized arguments"),
    ],
)
def test_bad_arguments_are_refused_in_one_line(argv, message, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_build_passes_what_follows_the_separator_to_dbt():
    args = cli.parser().parse_args(["build", "--force", "--", "--select", "vote_counts"])
    assert args.force
    assert args.dbt_args == ["--", "--select", "vote_counts"]


def test_catalogue_write_takes_schemas_in_order_and_publish_is_its_catalogue_format():
    args = cli.parser().parse_args(
        ["catalogue", "write", "gz_decals_dr5", "gz2", "--format", "zoobot", "--out-dir", "x"]
    )
    assert (args.schemas, args.format, args.out_dir) == (
        ["gz_decals_dr5", "gz2"],
        "zoobot",
        Path("x"),
    )
    assert cli.parser().parse_args(["catalogue", "write", "gz2"]).format == "catalogue"
    publish = cli.parser().parse_args(["catalogue", "publish", "gz2"])
    assert (publish.schema, publish.out_dir) == ("gz2", Path("catalogues"))
