"""Channels: where people talk to Kokoron. One module per channel behind `channels.base.Channel`."""
