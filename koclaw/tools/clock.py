"""`current_time`: the date and time now, in the person's zone or a named IANA zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from koclaw.llm.tools import Tool, ToolContext, tool_error
from koclaw.tools.args import CurrentTimeArgs


class CurrentTime(Tool[CurrentTimeArgs]):
    name = "current_time"
    description = "The current date, weekday and time, optionally in another time zone."
    Args = CurrentTimeArgs

    async def run(self, args: CurrentTimeArgs, context: ToolContext) -> str:
        now = context.now
        if args.timezone:
            try:
                now = now.astimezone(ZoneInfo(args.timezone.strip()))
            except (ZoneInfoNotFoundError, ValueError):
                return tool_error(
                    f"unknown time zone {args.timezone!r}; use an IANA name such as Asia/Shanghai"
                )
        zone = args.timezone.strip() if args.timezone else (now.tzname() or "local time")
        offset = now.strftime("%z")
        return f"{now.strftime('%Y-%m-%d (%A) %H:%M:%S')} {zone} (UTC{offset[:3]}:{offset[3:]})"
