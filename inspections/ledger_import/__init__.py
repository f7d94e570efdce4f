"""Importing an office's existing 隐患台账 (.xlsx): columns, validation and import, the
template, background jobs and the pages. Reading the sheet is anjian/spreadsheets.py's and the
upload → preview → confirm steps are anjian/imports.py's, shared with the unit import."""
