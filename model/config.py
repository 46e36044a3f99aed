"""Configuration as typed, frozen dataclasses: a command's from its arguments (`flag` fields,
filled by `parse`), the app's from the environment (`setting` fields, filled by `from_env`).
Each field says its default and help once.
"""

import argparse
import dataclasses
import os
import types
import typing


def flag(default=dataclasses.MISSING, help: str = "", choices=None, positional: bool = False):
    """A Config field that is also an argument: a --flag, or positional if it has no default
    (or if `positional`: then it may be left out)."""
    return dataclasses.field(default=default, metadata={"help": help, "choices": choices,
                                                        "positional": positional})


def parse(cls, argv=None, description: str | None = None):
    """Command-line arguments -> a `cls`. A bool field is a --name/--no-name switch, a tuple
    takes one or more values, a field without default is positional."""
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    kinds = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        kind, name = kinds[field.name], field.name.replace("_", "-")
        options = {"help": field.metadata.get("help"), "choices": field.metadata.get("choices")}
        if kind is bool:
            parser.add_argument(f"--{name}", action=argparse.BooleanOptionalAction,
                                default=field.default, help=options["help"])
            continue
        many = typing.get_origin(kind) is tuple
        options["type"] = _single(typing.get_args(kind)[0] if many else kind)
        if many:
            options["nargs"] = "+"
        if field.default is dataclasses.MISSING:
            parser.add_argument(field.name, **options)
        elif field.metadata.get("positional"):
            parser.add_argument(field.name, nargs="?", default=field.default, **options)
        else:
            parser.add_argument(f"--{name}", dest=field.name, default=field.default, **options)
    values = vars(parser.parse_args(argv))
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


def setting(variable: str, help: str, default=""):
    """A Settings field read from the environment variable `variable`."""
    return dataclasses.field(default=default, metadata={"variable": variable, "help": help})


def from_env(cls, env=os.environ):
    """The environment -> a `cls`: each field set whose variable is, read as the field's type
    (a bool is on unless "", "0" or "false")."""
    kinds, values = typing.get_type_hints(cls), {}
    for field in dataclasses.fields(cls):
        raw = env.get(field.metadata["variable"])
        if raw is not None:
            kind = _single(kinds[field.name])
            values[field.name] = raw.strip() not in ("", "0", "false") if kind is bool \
                else kind(raw)
    return cls(**values)


def _single(kind):
    """A field's type -> the one type its values are read as (`Path | None` -> Path)."""
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        return next(k for k in typing.get_args(kind) if k is not type(None))
    return kind
