"""Exception types. Library code raises these; only the CLI catches broadly."""


class FlexsocError(Exception):
    """Base of every error the simulator reports to a user as one line."""


class ConfigError(FlexsocError):
    """A scenario or block configuration is malformed; the message names the key path."""


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
