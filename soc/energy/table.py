"""The energy table: per-action energies and static powers, as data (YAML)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from soc.config.messages import clip_values
from soc.config.quantities import EnergyPj, PowerW
from soc.config.yaml_safe import load_yaml, parse_yaml
from soc.errors import ConfigError
from soc.kernel.vocab import UNPRICED_ACTIONS, Action
from soc.units import parse_power_w

# Actions priced as power (W) times a duration in ps: W x ps = pJ.
POWER_ACTIONS = frozenset({Action.CPU_ACTIVE_PS})


class EnergyTable(BaseModel):
    """`actions[a]` is pJ per unit of action a; `static_power[c]` is W for component c."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    actions: dict[str, EnergyPj]
    static_power: dict[str, PowerW]

    @model_validator(mode="before")
    @classmethod
    def _parse_units(cls, data: object) -> object:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        actions = data.get("actions") or {}
        if isinstance(actions, dict):  # anything else: pydantic names the key
            actions = dict(actions)
            for name in POWER_ACTIONS:
                if name.value in actions:  # W -> pJ per ps, numerically equal
                    actions[name.value] = parse_power_w(actions[name.value])
        data["actions"] = actions
        data["static_power"] = data.get("static_power") or {}  # PowerW parses each
        return data

    @model_validator(mode="after")
    def _complete(self) -> EnergyTable:
        priced = {a.value for a in Action if a not in UNPRICED_ACTIONS}
        unknown = sorted(set(self.actions) - priced)
        if unknown:
            raise ValueError(f"unknown action {unknown[0]!r} (known: {', '.join(sorted(priced))})")
        missing = sorted(priced - set(self.actions))
        if missing:
            raise ValueError(f"no energy given for action {missing[0]!r}")
        return self


def load_energy_table(path: Path | None = None) -> EnergyTable:
    """The table at `path`, or the built-in default table."""
    if path is None:
        text = resources.files("soc.energy").joinpath("default_table.yaml").read_text()
        where = "built-in energy table"
        data, _ = parse_yaml(text, where)
    else:  # read safely: size, depth and alias limits, UTF-8, plain types only
        data, _ = load_yaml(path, missing="no such energy table")
        where = str(path)
    try:
        return EnergyTable.model_validate(data)
    except (ValidationError, ValueError) as exc:
        first = exc.errors()[0] if isinstance(exc, ValidationError) else None
        if first is not None:
            loc = ".".join(str(p) for p in first["loc"]) or "actions"
            message = f"{loc}: {first['msg'].removeprefix('Value error, ')}"
        else:
            message = str(exc).splitlines()[0]
        raise ConfigError(f"{where}: {clip_values(message)}") from None
