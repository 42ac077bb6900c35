"""Jinja2 rendering of every generated file (headers, linker scripts, wrappers, ...)."""

import os
from pathlib import Path
from typing import Any

import jinja2


def _environment(template_dir: Path) -> jinja2.Environment:
    # StrictUndefined: a misspelt variable is an error, never an empty string.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )


def render(template: Path, output: Path, variables: dict[str, Any], mode: int = 0o644) -> None:
    """Render `template` with `variables` into `output` (written atomically)."""
    text = _environment(template.parent).get_template(template.name).render(**variables)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".tmp")
    tmp.write_text(text)
    os.chmod(tmp, mode)
    tmp.replace(output)
