"""Units in and out of Excel. Plain functions, no request objects: views_xlsx.py handles
uploads, sessions and responses."""

from .columns import COLUMNS, XLSX_CONTENT_TYPE, text_cell
from .reading import (
    ImportFileError,
    Lookups,
    analyse,
    import_units,
    open_workbook,
    read_sheet,
    resolve_lookup,
    validate,
)
from .writing import write_template, write_units

__all__ = [
    "COLUMNS",
    "XLSX_CONTENT_TYPE",
    "ImportFileError",
    "Lookups",
    "analyse",
    "import_units",
    "open_workbook",
    "read_sheet",
    "resolve_lookup",
    "text_cell",
    "validate",
    "write_template",
    "write_units",
]
