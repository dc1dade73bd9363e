"""`set_reminder`, `list_reminders`, `cancel_reminder`: Kokoron's hands on Sensei's reminders.

As with the memory tools, the person is never an argument: user, channel and chat come from the
`ToolContext`, so a reminder fires where it was asked for and nobody reaches another's reminders.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from koclaw.delivery import WRITES_FIRST
from koclaw.errors import InputError
from koclaw.llm.tools import NoArgs, Tool, ToolContext, tool_error
from koclaw.reminders import Reminder, Reminders
from koclaw.tools.args import CancelReminderArgs, SetReminderArgs
from koclaw.when import parse_when


def zone_named(name: str) -> tzinfo:
    """An IANA zone, or a fixed offset written +HH:MM (how zones without a name are stored)."""
    name = name.strip()
    if len(name) == 6 and name[0] in "+-" and name[3] == ":" and name[1:3].isdigit() and name[4:].isdigit():
        sign = 1 if name[0] == "+" else -1
        return timezone(sign * timedelta(hours=int(name[1:3]), minutes=int(name[4:])))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"Unknown time zone {name!r}; use an IANA name such as Asia/Shanghai.") from None


def zone_name(zone: tzinfo, at: datetime) -> str:
    if isinstance(zone, ZoneInfo):
        return zone.key
    offset = at.astimezone(zone).strftime("%z") or "+0000"
    return f"{offset[:3]}:{offset[3:]}"


def shown(reminder: Reminder) -> dict[str, Any]:
    """A reminder as the model (and `--json`) sees it: its time in the zone it was set in."""
    try:
        due = reminder.due.astimezone(zone_named(reminder.timezone))
    except InputError:
        due = reminder.due
    return {
        "id": reminder.id,
        "text": reminder.text,
        "due": due.isoformat(timespec="minutes"),
        "timezone": reminder.timezone,
        "status": reminder.status,
    }


class _ReminderTool:
    def __init__(self, reminders: Reminders, default_zone: str = "") -> None:
        """`default_zone`: Sensei's zone from the config; empty: the zone of the turn's clock."""
        self.reminders = reminders
        self.default_zone = default_zone


class SetReminder(_ReminderTool, Tool[SetReminderArgs]):
    name = "set_reminder"
    description = "Remind Sensei of something at a time to come; you will message them then (Telegram only)."
    Args = SetReminderArgs

    async def run(self, args: SetReminderArgs, context: ToolContext) -> str:
        if context.channel not in WRITES_FIRST:  # it would be kept, fire, and reach nobody
            return tool_error(
                f"you can only answer on {context.channel}, never write first, so a reminder set here "
                f"would never reach Sensei; tell them so (reminders work on {', '.join(WRITES_FIRST)})"
            )
        try:
            name = args.timezone or self.default_zone
            zone = zone_named(name) if name else (context.now.tzinfo or UTC)
            due = parse_when(args.when, context.now, zone)
        except InputError as exc:
            return tool_error(str(exc))
        if due <= context.now:
            now = context.now.astimezone(zone).isoformat(timespec="minutes")
            return tool_error(
                f"{due.astimezone(zone).isoformat(timespec='minutes')} has already passed (it is now {now}); "
                "ask Sensei for a time to come"
            )
        reminder = self.reminders.add(
            context.user_id,
            context.channel,
            context.chat_id,
            args.text,
            due,
            timezone=zone_name(zone, due),
            language=context.language,
        )
        return json.dumps({"set": shown(reminder)}, ensure_ascii=False)


class ListReminders(_ReminderTool, Tool[NoArgs]):
    name = "list_reminders"
    description = "Sensei's reminders still to come (or not sent yet), soonest first."
    Args = NoArgs

    async def run(self, args: NoArgs, context: ToolContext) -> str:
        found = [shown(r) for r in self.reminders.list(context.user_id)]
        return json.dumps({"reminders": found}, ensure_ascii=False)


class CancelReminder(_ReminderTool, Tool[CancelReminderArgs]):
    name = "cancel_reminder"
    description = "Cancel one of Sensei's pending reminders by its id."
    Args = CancelReminderArgs

    async def run(self, args: CancelReminderArgs, context: ToolContext) -> str:
        try:
            reminder = self.reminders.cancel(context.user_id, args.id)
        except InputError as exc:
            return tool_error(str(exc))
        return json.dumps({"cancelled": shown(reminder)}, ensure_ascii=False)


def reminder_tools(
    reminders: Reminders, default_zone: str = ""
) -> list[Tool[SetReminderArgs] | Tool[NoArgs] | Tool[CancelReminderArgs]]:
    return [
        SetReminder(reminders, default_zone),
        ListReminders(reminders, default_zone),
        CancelReminder(reminders, default_zone),
    ]
