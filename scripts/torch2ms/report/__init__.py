"""`torch2ms report`: conversion_report.md and report.md from the tracker and the check results.

Only verified facts count as success: a file is verified when its current output passes
`torch2ms check` (the recorded result belongs to the file's current content). A ticked file whose
check fails is reported as failing; a file never checked is "not checked", not a success.
"""
