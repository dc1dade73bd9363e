"""Every built-in tool's arguments, in the order `koclaw run` serves the tools.

Why apart from the tools: training-data validation (`finetune.validate`) checks tool calls against the
runtime's own models, and must not pull in what the tools run on (the scheduler, the stores). A test
keeps `SERVED` equal to the served tools' names and `Args`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from koclaw.llm.tools import NoArgs
from koclaw.when import FORMS


class CurrentTimeArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timezone: str | None = Field(
        None, description="IANA time zone, e.g. Asia/Tokyo; leave out for Sensei's local time"
    )


class MemorySaveArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fact: str = Field(
        min_length=1, max_length=500, description="one short statement about Sensei, in their words' language"
    )
    importance: int = Field(3, ge=1, le=5, description="5 = must never be forgotten, 1 = trivia")
    category: str = Field("general", max_length=40, description="e.g. preference, plan, person, health, work")


class MemorySearchArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=500, description="what to look for, any language")
    k: int = Field(5, ge=1, le=20, description="how many memories")


class MemoryForgetArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: str = Field(min_length=1, max_length=500, description="a memory id, or text the memories contain")


class SetReminderArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=500, description="what to remind Sensei of, in their language")
    when: str = Field(
        min_length=1,
        max_length=100,
        description=f"when: {FORMS}; prefer ISO in Sensei's local time",
    )
    timezone: str | None = Field(None, description="IANA zone of `when`, e.g. Asia/Tokyo; default Sensei's")


class CancelReminderArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int = Field(ge=1, description="the reminder's id from list_reminders")


SERVED: dict[str, type[BaseModel]] = {
    "current_time": CurrentTimeArgs,
    "memory_save": MemorySaveArgs,
    "memory_search": MemorySearchArgs,
    "memory_forget": MemoryForgetArgs,
    "set_reminder": SetReminderArgs,
    "list_reminders": NoArgs,
    "cancel_reminder": CancelReminderArgs,
}
"""Tool name -> its argument model, in the served order."""
