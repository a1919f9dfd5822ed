"""interview-workbook: build, run and grade notebooks for interviewing Python engineers."""

__version__ = "0.1.0"
