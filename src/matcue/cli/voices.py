"""``matcue voices``: every backend's voices and auto's pick."""

from __future__ import annotations

import click

from matcue.cli.boundary import EXIT_ERROR


@click.command()
@click.option(
    "--backend", metavar="NAME", help="Show only this backend ('auto': the one auto picks). Default: every backend."
)
def voices(backend: str | None) -> None:
    """List every backend's voices and auto's pick.

    Shows each voice backend, clearest first, whether it is installed here (with what to
    install when it is not), its voices, and which one 'auto' picks."""
    from matcue.voice.registry import survey_voices

    for i, entry in enumerate(survey_voices(backend)):
        if i:
            click.echo("")
        state = "available" if entry.available else "not available"
        auto = "  <- auto" if entry.auto else ""
        click.echo(f"backend: {entry.name} ({state}){auto}")
        if entry.problem:
            click.echo(f"  {entry.problem}")
        for line in entry.details:
            click.echo(f"  {line}")
        for v in entry.voices:
            langs = ",".join(v.languages)
            click.echo(f"  {v.id}\t{v.name}\t{langs}")
    if backend and not any(e.available for e in survey_voices(backend)):
        raise click.exceptions.Exit(EXIT_ERROR)
