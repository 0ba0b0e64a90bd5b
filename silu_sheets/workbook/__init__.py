"""Everything that touches .xlsx files (openpyxl lives here and nowhere else)."""
