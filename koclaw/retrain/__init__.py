"""The scheduled Soul retrain: a runtime job beside reminders and check-ins.

`job` (the `Retrainer`: schedule, stages in order, cancel, resume), `runs` (its persisted runs),
`stages` (each stage; training and evaluation run as `koclaw finetune ...` subprocesses, so the
runtime never imports torch) and `report` (what admins are told). The training library itself
stays in `finetune/`, imported lazily and only inside a stage.
"""
