"""User-facing errors: each prints as one line and exits with code 2."""


class KexpError(Exception):
    """A mistake in the user's input; shown as ``kexp: <kind> error: <message>``."""

    kind = "input"

    def one_line(self) -> str:
        """The message as the single line printed to stderr."""
        text = " ".join(str(self).split())
        return f"kexp: {self.kind} error: {text}"


class ConfigError(KexpError):
    """A config key has a value that is not allowed."""

    kind = "config"

    @classmethod
    def bad_value(cls, key: str, value: object, allowed: str) -> "ConfigError":
        """Build the standard message: ``key=value — allowed``."""
        return cls(f"{key}={value} — {allowed}")


def show(value: object) -> str:
    """``value`` as a command line writes it in a message: ``null``, ``true``/``false``, else ``str``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


class DataError(KexpError):
    """A dataset cannot be loaded or is malformed."""

    kind = "data"
