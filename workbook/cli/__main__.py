"""`python -m workbook.cli` runs the same command as the `workbook` script."""

import sys

from workbook.cli import main

sys.exit(main())
