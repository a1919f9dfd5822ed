"""Questions from other tools' formats: `workbook import <format> SOURCE -o BANKDIR`."""
