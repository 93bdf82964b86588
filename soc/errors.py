"""Exception types. Library code raises these; only the CLI catches broadly."""


class FlexsocError(Exception):
    """Base of every error the simulator reports to a user as one line."""


class ConfigError(FlexsocError):
    """A scenario or block configuration is malformed; the message names the key path."""


class ImplausibleError(ConfigError):
    """A scenario whose estimated cost is far beyond its intent: `findings` holds a line
    per setting (the key to change and the estimate); the message is the first."""

    def __init__(self, findings: list[str]) -> None:
        more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
        super().__init__(f"implausible: {findings[0]}{more}; --force or force=True runs it")
        self.findings = findings

    def __reduce__(self) -> tuple[type, tuple[list[str]]]:
        return type(self), (self.findings,)  # picklable: a sweep worker raises it


class WiringError(FlexsocError):
    """Elaboration found an unbound or doubly bound port."""


class WorkloadError(FlexsocError):
    """A workload (layer list, zoo name, model file) cannot be used."""


class MappingError(FlexsocError):
    """A descriptor does not fit the hardware or does not cover the layer."""


class InputError(FlexsocError):
    """An input file cannot be read safely: too large, truncated, corrupt or of the wrong
    kind; the message names the file and the line, node or row group."""


class TraceFormatError(FlexsocError):
    """A trace file does not follow its format; the message names the line."""


class SimulationError(FlexsocError):
    """The simulation reached an impossible state (a bug or an inconsistent model)."""


class OutputError(FlexsocError):
    """A run's output path would replace or delete something the simulator did not write."""


class StallError(FlexsocError):
    """The simulation stalled: processes wait for events that nothing will trigger.
    The message is one line (`stalled at t=... : N processes blocked`); `blocked` holds
    a line per blocked process (or group of alike ones) and what it waits for."""

    def __init__(self, at_ps: int, processes: int, blocked: list[str], why: str = "") -> None:
        super().__init__(
            f"stalled at t={at_ps} ps: {processes} processes blocked" + (f" ({why})" if why else "")
        )
        self.at_ps = at_ps
        self.processes = processes
        self.blocked = blocked
        self.why = why

    def __reduce__(self) -> tuple[type, tuple[int, int, list[str], str]]:
        return type(self), (self.at_ps, self.processes, self.blocked, self.why)  # picklable
