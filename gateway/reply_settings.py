"""The `[replies]` config section: how replies are retried and repeated, how often a
citizen hears that their case moved, and what they say (`[replies.templates]` and
`[replies.templates.updates]`, checked to fit one SMS at worst)."""
from __future__ import annotations

from dataclasses import dataclass, field

from gateway.command_texts import CommandTexts, command_text_problems
from gateway.config_schema import not_positive
from gateway.reply_text import ReplyTemplates, template_problems
from gateway.update_text import update_template_problems


@dataclass(frozen=True)
class RepliesSettings:
    retry_initial_s: float = 5.0
    retry_max_s: float = 600.0
    max_attempts: int = 20
    #: the longest tracking number the case store gives, in characters (template check)
    tracking_id_max_length: int = 12
    #: a repeated message is answered again only if its complaint's last reply is older
    #: than this (an SMSC redelivering after a lost response gets no second reply) ...
    duplicate_quiet_s: float = 600.0
    #: ... and at most this many times per complaint (0: never)
    duplicate_max_replies: int = 2
    #: status updates the case store pushes reach a citizen at most this many times per
    #: case in any 24 hours (0: never); the events past it are still recorded
    updates_per_case_per_day: int = 3
    templates: ReplyTemplates = field(default_factory=ReplyTemplates)
    #: the answers to citizens' commands (CEK, BANTUAN, STOP, MULAI): `[replies.commands]`
    commands: CommandTexts = field(default_factory=CommandTexts)

    def problems(self) -> list[str]:
        """What is wrong with these settings, as `key: reason` (empty when fine)."""
        found = not_positive(self, "retry_initial_s", "retry_max_s", "max_attempts",
                             "tracking_id_max_length")
        for key in ("duplicate_quiet_s", "duplicate_max_replies", "updates_per_case_per_day"):
            if getattr(self, key) < 0:
                found.append(f"{key}: must not be negative, got {getattr(self, key)}")
        if self.tracking_id_max_length > 0:
            found += [f"templates.{key}: {problem}"
                      for key, problem in template_problems(self.templates, self.tracking_id_max_length)]
            found += [f"templates.updates.{key}: {problem}" for key, problem
                      in update_template_problems(self.templates.updates, self.tracking_id_max_length)]
            found += [f"commands.{key}: {problem}"
                      for key, problem in command_text_problems(self.commands, self.tracking_id_max_length)]
        return found
