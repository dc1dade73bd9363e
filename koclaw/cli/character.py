"""`koclaw character ...`: take Kokoron out as a character card, or bring a character in from one.

Cards are Character Card V2 (SillyTavern and most frontends); import also reads V1 JSON and PNG cards.
An imported card becomes a profile YAML that `character.load_profile(path)` reads.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from character.card import CardError, card_to_profile, profile_to_card, read_card, write_card
from character.profile import ProfileError, load_profile
from character.profile_io import ProfileExistsError, write_profile
from koclaw.cli.common import fail
from koclaw.terminal import terminal_safe

app = typer.Typer(help="Kokoron's character: export and import character cards.", no_args_is_help=True)


@app.command("export-card")
def export_card(
    output: Path | None = typer.Option(None, "-o", "--output", help="write the card here (default: stdout)"),
    profile: Path | None = typer.Option(None, "--profile", help="a profile YAML (default: Kokoron's own)"),
) -> None:
    """Write a Character Card V2 (JSON) that SillyTavern and others import; Koclaw restores it exactly."""
    try:
        card = profile_to_card(load_profile(profile))
        if output is None:
            sys.stdout.write(json.dumps(card, ensure_ascii=False, indent=2) + "\n")
            return
        write_card(card, output)
    except (CardError, ProfileError) as exc:
        raise fail(str(exc)) from None
    typer.echo(f"Wrote {terminal_safe(card['data']['name'])}'s card to {output}.")


@app.command("import-card")
def import_card(
    file: Path = typer.Argument(..., help="a card: .json (V1 or V2) or .png with a 'chara'/'ccv3' chunk"),
    output: Path = typer.Option(..., "-o", "--output", help="the profile YAML to write"),
    force: bool = typer.Option(False, "--force", help="replace OUTPUT if it exists"),
) -> None:
    """Turn a character card into a profile YAML, and say which sections need a person's edit."""
    if output.exists() and not force:
        raise fail(f"{output} already exists; pass --force to replace it")
    try:
        profile, notes = card_to_profile(read_card(file), str(file))
        header = [f"Imported from the character card {file.name} by `koclaw character import-card`."]
        if notes:
            header += ["Check these sections:", *(f"- {note}" for note in notes)]
        write_profile(profile, output, overwrite=force, comments=header)
    except CardError as exc:
        raise fail(str(exc)) from None
    except ProfileExistsError:
        raise fail(f"{output} already exists; pass --force to replace it") from None
    except OSError as exc:
        raise fail(f"cannot write {output}: {exc.strerror or exc}") from None
    name = terminal_safe(profile.name.en)  # the card's own text: no escape reaches the terminal
    if not notes:
        typer.echo(f"Imported {name} exactly (a Koclaw card) into {output}.")
        return
    typer.echo(f"Imported {name} into {output}. Check these sections:")
    for note in notes:
        typer.echo(f"  - {terminal_safe(note)}")
    typer.echo(f"Then use it with: koclaw character export-card --profile {output}")
