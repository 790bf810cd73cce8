"""The `[channels.toy]` section."""
from dataclasses import dataclass

from gateway.config_schema import not_positive


@dataclass(frozen=True)
class ToySettings:
    enabled: bool = False
    greeting: str = "toy"
    max_text: int = 500

    def problems(self) -> list[str]:
        return not_positive(self, "max_text")
